"""The alert evaluator over a real store (SQLite file and Redis) with an injected clock: an alert
notifies once when it fires and once when it resolves, survives a restart, and only the replica
holding the lease evaluates."""

from __future__ import annotations

import json

from signalmesh.connector import ConfigField, Destination
from signalmesh.gateway.alert_watch import AlertWatch, credential_fingerprint
from signalmesh.gateway.breaker import CircuitBreaker
from signalmesh.monitoring import history
from signalmesh.monitoring.alert_lifecycle import FIRING, RESOLVED
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry
from signalmesh.store.base import Store

from tests.integration.store.conftest import Backend, backend  # noqa: F401 — the fixture
from tests.support.fake_connector import FakeConnector

# 2026-03-16 10:05 UTC: the last full hour is 09:00–10:00.
NOW = 1_773_655_500.0
LAST_FULL_HOUR = history.hour_start(NOW) - history.HOUR
DAY = history.DAY


class SecretConnector(FakeConnector):
    name = "secretive"
    config_schema = (ConfigField("url", "where to POST"), ConfigField("token", "API token", secret=True))


REGISTRY = ConnectorRegistry(
    [ConnectorInfo(FakeConnector(), "tests", "0"), ConnectorInfo(SecretConnector(), "tests", "0")]
)
DESTINATIONS = {"shop": Destination("shop", "fake", {"url": "https://example.test/events"})}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def write_baseline(store: Store, per_hour: float, last_hour: float) -> None:
    """Eight days of ``per_hour`` deliveries at 09:00 for "shop", then ``last_hour`` in the last full hour."""
    delta = history.HistoryDelta()
    for days_back in range(1, 9):
        delta.add(LAST_FULL_HOUR - days_back * DAY, "shop", "Purchase", history.DELIVERED, per_hour)
    delta.add(LAST_FULL_HOUR, "shop", "Purchase", history.DELIVERED, last_hour)
    await store.add_history(delta, NOW)


def watch(store: Store, clock: Clock, holder: str = "replica-a", **kwargs: object) -> AlertWatch:
    return AlertWatch(
        store=store,
        settings=AlertSettings(),
        destinations=kwargs.pop("destinations", DESTINATIONS),  # type: ignore[arg-type]
        registry=REGISTRY,
        breakers=kwargs.pop("breakers", {}),  # type: ignore[arg-type]
        rotated_at=kwargs.pop("rotated_at", {}),  # type: ignore[arg-type]
        holder=holder,
        clock=clock,
    )


async def test_a_volume_drop_notifies_once_then_once_more_when_it_resolves(backend: Backend) -> None:  # noqa: F811
    store, clock = backend.open(), Clock(NOW)
    await write_baseline(store, per_hour=100, last_hour=10)
    evaluator = watch(store, clock)

    fired = await evaluator.evaluate_once()
    assert [(item.alert_key, item.state) for item in fired or []] == [("volume_drop:shop", FIRING)]
    details = fired[0].details if fired else {}
    assert (details["figure"], details["baseline"], details["threshold"]) == (10, 100, 50)
    assert "signalmesh stats" in details["command"]

    clock.now += 60
    assert await evaluator.evaluate_once() == []  # still firing: nothing new to say

    # A restarted gateway (a new store connection, a new evaluator) does not repeat it.
    await evaluator.stop()
    reopened = backend.open()
    [record] = await reopened.alerts()
    assert (record.state, record.notified_state) == (FIRING, FIRING)
    restarted = watch(reopened, clock)
    assert await restarted.evaluate_once() == []

    # The next hour is back to normal: one "resolved".
    recovered = history.HistoryDelta()
    recovered.add(LAST_FULL_HOUR + history.HOUR, "shop", "Purchase", history.DELIVERED, 100)
    await reopened.add_history(recovered, NOW)
    clock.now = NOW + history.HOUR
    resolved = await restarted.evaluate_once()
    assert [(item.alert_key, item.state) for item in resolved or []] == [("volume_drop:shop", RESOLVED)]
    clock.now += 60
    assert await restarted.evaluate_once() == []
    [record] = await reopened.alerts()
    assert (record.state, record.notified_state) == (RESOLVED, RESOLVED)
    await restarted.stop()


async def test_only_the_lease_holder_evaluates(backend: Backend) -> None:  # noqa: F811
    clock = Clock(NOW)
    first, second = backend.open(), backend.open()
    await write_baseline(first, per_hour=100, last_hour=10)
    replica_a, replica_b = watch(first, clock, "replica-a"), watch(second, clock, "replica-b")
    assert await replica_a.evaluate_once()
    assert await replica_b.evaluate_once() is None
    # The holder's lease lapses (it died): the other replica takes over, without notifying again.
    clock.now += 3 * AlertSettings().evaluate_every
    assert await replica_b.evaluate_once() == []
    assert await replica_a.evaluate_once() is None
    await replica_a.stop()
    await replica_b.stop()


async def test_token_age_counts_from_rotated_at_or_the_first_sight_of_the_secret(backend: Backend) -> None:  # noqa: F811
    store, clock = backend.open(), Clock(NOW)
    destinations = {
        "rotated": Destination("rotated", "fake", {"url": "https://example.test"}),
        "secret": Destination("secret", "secretive", {"url": "https://example.test", "token": "t-1"}),
    }
    evaluator = watch(store, clock, destinations=destinations, rotated_at={"rotated": NOW - 95 * DAY})
    fired = await evaluator.evaluate_once() or []
    assert [(item.alert_key, item.severity) for item in fired] == [("token_age:rotated", "critical")]

    # 85 days after the mesh first saw "secret"'s token: a warning (past 80, not yet 90).
    clock.now = NOW + 85 * DAY
    fired = await evaluator.evaluate_once() or []
    assert ("token_age:secret", "warning") in [(item.alert_key, item.severity) for item in fired]

    # Rotating the token changes its fingerprint: its age starts again, and the alert resolves.
    destinations["secret"] = Destination(
        "secret", "secretive", {"url": "https://example.test", "token": "t-2"}
    )
    clock.now += 60
    resolved = await evaluator.evaluate_once() or []
    assert [(item.alert_key, item.state) for item in resolved] == [("token_age:secret", RESOLVED)]
    await evaluator.stop()


async def test_a_rotated_secret_file_restarts_the_token_age(backend: Backend, tmp_path) -> None:  # noqa: F811
    """A ``file:`` secret rewritten while the gateway runs is a new credential: its age restarts."""
    token = tmp_path / "token"
    token.write_text("t-1")
    store, clock = backend.open(), Clock(NOW)
    destinations = {
        "secret": Destination(
            "secret",
            "secretive",
            {"url": "https://example.test", "token": "t-1"},
            secret_references={"token": f"file:{token}"},
        )
    }
    evaluator = watch(store, clock, destinations=destinations)
    assert await evaluator.evaluate_once() == []
    clock.now = NOW + 95 * DAY
    fired = await evaluator.evaluate_once() or []
    assert ("token_age:secret", "critical") in [(item.alert_key, item.severity) for item in fired]
    token.write_text("t-2-rotated")
    clock.now += 60
    resolved = await evaluator.evaluate_once() or []
    assert [(item.alert_key, item.state) for item in resolved] == [("token_age:secret", RESOLVED)]
    await evaluator.stop()


async def test_a_paused_destination_is_a_critical_alert(backend: Backend) -> None:  # noqa: F811
    store, clock = backend.open(), Clock(NOW)
    breaker = CircuitBreaker(failure_threshold=5, cooldown_seconds=30)
    breaker.record_failure(NOW - 120, "the platform refused the credentials: code 190", credentials=True)
    evaluator = watch(store, clock, breakers={"shop": breaker})
    [fired] = await evaluator.evaluate_once() or []
    assert (fired.alert_key, fired.severity) == ("credentials:shop", "critical")
    assert "code 190" in json.dumps(fired.details)
    breaker.record_success()
    clock.now += 60
    [resolved] = await evaluator.evaluate_once() or []
    assert (resolved.alert_key, resolved.state) == ("credentials:shop", RESOLVED)
    await evaluator.stop()


def test_a_credential_fingerprint_changes_with_the_secret_and_hides_it() -> None:
    one = Destination("d", "secretive", {"url": "u", "token": "secret-one"})
    two = Destination("d", "secretive", {"url": "u", "token": "secret-two"})
    assert credential_fingerprint(one, ["token"]) != credential_fingerprint(two, ["token"])
    assert "secret-one" not in (credential_fingerprint(one, ["token"]) or "")
    assert credential_fingerprint(Destination("d", "fake", {"url": "u"}), []) is None
