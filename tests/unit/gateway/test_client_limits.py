"""Per-client limits are pure: a token bucket per client over a passed-in clock, and a count of
open streams; a refusal takes nothing and says when a retry can succeed."""

from __future__ import annotations

import pytest
from signalmesh.gateway.client_limits import STREAM_RETRY_SECONDS, ClientLimits, ClientQuota
from signalmesh.gateway.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limits_for(clock: Clock, **quotas: ClientQuota) -> ClientLimits:
    return ClientLimits(quotas, ClientQuota(), clock)


def test_a_client_within_its_rate_is_never_refused():
    clock = Clock()
    limits = limits_for(clock, hammer=ClientQuota(events_per_second=10))
    assert [limits.take_events("hammer", 1) for _ in range(10)] == [None] * 10


def test_over_the_rate_the_refusal_says_when_a_retry_succeeds_and_takes_nothing():
    clock = Clock()
    limits = limits_for(clock, hammer=ClientQuota(events_per_second=10))
    assert limits.take_events("hammer", 10) is None
    over = limits.take_events("hammer", 5)
    assert over is not None and over.limit == "events_per_second" and over.client == "hammer"
    assert over.retry_after_seconds == pytest.approx(0.5)
    # Refused whole: a second refusal waits just as long (nothing was taken the first time).
    again = limits.take_events("hammer", 5)
    assert again is not None and again.retry_after_seconds == pytest.approx(0.5)
    clock.now += again.retry_after_seconds
    assert limits.take_events("hammer", 5) is None


def test_one_clients_flood_leaves_another_clients_quota_whole():
    clock = Clock()
    limits = limits_for(
        clock, hammer=ClientQuota(events_per_second=5), victim=ClientQuota(events_per_second=5)
    )
    assert limits.take_events("hammer", 5) is None
    assert limits.take_events("hammer", 1) is not None
    assert limits.take_events("victim", 5) is None


def test_a_batch_bigger_than_the_burst_waits_for_a_full_bucket_then_owes_the_rest():
    clock = Clock()
    limits = limits_for(clock, bulk=ClientQuota(events_per_second=100, burst=100))
    assert limits.take_events("bulk", 500) is None  # a full bucket pays for any batch ...
    over = limits.take_events("bulk", 1)
    assert over is not None and over.retry_after_seconds == pytest.approx(4.01)  # ... then the debt


def test_zero_means_no_limit_and_unknown_clients_get_the_default():
    clock = Clock()
    limits = ClientLimits({"free": ClientQuota()}, ClientQuota(events_per_second=1), clock)
    assert all(limits.take_events("free", 1000) is None for _ in range(10))
    assert limits.take_events("someone", 1) is None
    assert limits.take_events("someone", 1) is not None


def test_streams_over_the_limit_are_refused_until_one_closes():
    clock = Clock()
    limits = limits_for(clock, hammer=ClientQuota(max_concurrent_streams=2))
    assert limits.open_stream("hammer") is None and limits.open_stream("hammer") is None
    over = limits.open_stream("hammer")
    assert over is not None and over.limit == "max_concurrent_streams"
    assert over.retry_after_seconds == STREAM_RETRY_SECONDS
    assert limits.open_streams("hammer") == 2  # the refused one was not counted
    assert limits.open_stream("victim") is None  # another client's streams are its own
    limits.close_stream("hammer")
    assert limits.open_stream("hammer") is None


def test_try_take_refills_at_the_rate_and_caps_at_the_burst():
    bucket = RateLimiter(rate=2.0, burst=4.0)
    assert bucket.try_take(4, 0.0) == 0.0
    assert bucket.try_take(1, 0.0) == pytest.approx(0.5)
    assert bucket.try_take(1, 0.5) == 0.0
    assert bucket.try_take(4, 100.0) == 0.0  # a long quiet spell refills to the burst, no more
    assert bucket.try_take(1, 100.0) == pytest.approx(0.5)
