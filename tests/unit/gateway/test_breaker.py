"""The circuit breaker is a pure state machine over a given clock."""

from __future__ import annotations

from signalmesh.gateway.breaker import BreakerState, CircuitBreaker


def test_breaker_opens_after_consecutive_failures_and_probes_after_the_cooldown():
    breaker = CircuitBreaker(failure_threshold=3, cooldown_seconds=10)
    assert [breaker.record_failure(0, "503") for _ in range(3)] == [False, False, True]
    assert breaker.state is BreakerState.OPEN and not breaker.allow_request(5)
    assert breaker.allow_request(10) and breaker.probing
    assert not breaker.allow_request(10), "only one probe at a time"
    assert breaker.record_success() and breaker.state is BreakerState.CLOSED


def test_a_failed_probe_reopens_for_another_cooldown():
    breaker = CircuitBreaker(failure_threshold=1, cooldown_seconds=10)
    breaker.record_failure(0, "503")
    assert breaker.allow_request(10)
    breaker.record_failure(10, "503 again")
    assert breaker.state is BreakerState.OPEN and not breaker.allow_request(15) and breaker.allow_request(20)


def test_a_success_resets_the_failure_count():
    breaker = CircuitBreaker(failure_threshold=3, cooldown_seconds=10)
    breaker.record_failure(0, "x")
    breaker.record_failure(0, "x")
    breaker.record_success()
    breaker.record_failure(0, "x")
    assert breaker.state is BreakerState.CLOSED


def test_bad_credentials_open_the_breaker_at_once_with_the_reason():
    breaker = CircuitBreaker(failure_threshold=5, cooldown_seconds=10)
    assert breaker.record_failure(0, "token expired", credentials=True)
    assert breaker.state is BreakerState.OPEN and breaker.reason == "token expired"
