"""The rate limiter is a pure token bucket over a given clock."""

from __future__ import annotations

from signalmesh.gateway.rate_limit import RateLimiter


def test_rate_limiter_spaces_requests_after_the_burst():
    limiter = RateLimiter(rate=2.0, burst=2.0)
    assert [limiter.delay_for_next(0) for _ in range(4)] == [0.0, 0.0, 0.5, 1.0]
    assert limiter.delay_for_next(10) == 0.0
