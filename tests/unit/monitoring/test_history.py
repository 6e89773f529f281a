"""History counters: how a batch's increments become a delta, and the latency histogram's names."""

from __future__ import annotations

import math

import pytest
from signalmesh.monitoring import history

NOW = 1_800_003_600.0 + 125  # two minutes into an hour


def test_a_tally_becomes_the_delta_adding_each_increment_would_build() -> None:
    increments = [
        ("meta", "Purchase", history.LIVE, "value.EUR", 0.1),
        ("meta", "Purchase", history.LIVE, history.DELIVERED, 1.0),
        ("tiktok", "Lead", history.TEST, history.RECEIVED, 1.0),
        ("meta", "Purchase", history.LIVE, "value.EUR", 0.2),
        ("meta", "Purchase", history.LIVE, "value.EUR", 0.3),
    ]
    one_by_one = history.HistoryDelta()
    counts: dict[history.TallyKey, float] = {}
    for destination, event_name, mode, counter, amount in increments:
        one_by_one.add(NOW, destination, event_name, counter, amount, mode=mode)
        history.tally(counts, (destination, event_name, mode, counter), amount)
    tallied = history.HistoryDelta()
    tallied.add_tally(NOW, counts)
    # Same buckets, same counters in the same order, and float sums to the last bit.
    assert list(tallied.items()) == list(one_by_one.items())
    assert tallied.counts[history.BucketKey(history.hour_start(NOW), "meta", "Purchase")]["value.EUR"] == (
        0.0 + 0.1 + 0.2 + 0.3
    )


def test_a_tally_lands_in_the_hour_it_is_added_at() -> None:
    delta = history.HistoryDelta()
    delta.add_tally(NOW, {("meta", "Purchase", history.LIVE, history.RECEIVED): 2.0})
    delta.add_tally(NOW + history.HOUR, {("meta", "Purchase", history.LIVE, history.RECEIVED): 1.0})
    assert [(key.start, counter, amount) for key, counter, amount in delta.items()] == [
        (1_800_003_600, history.RECEIVED, 2.0),
        (1_800_007_200, history.RECEIVED, 1.0),
    ]


@pytest.mark.parametrize(
    ("seconds", "counter"),
    [
        (-3.0, "latency.le.1"),
        (0.0, "latency.le.1"),
        (1.0, "latency.le.1"),
        (1.5, "latency.le.5"),
        (3600.0, "latency.le.3600"),
        (7 * history.DAY + 1, "latency.le.inf"),
        (math.inf, "latency.le.inf"),
    ],
)
def test_a_latency_counts_in_the_first_bucket_whose_bound_it_does_not_exceed(
    seconds: float, counter: str
) -> None:
    assert history.latency_counter(seconds) == counter


def test_every_latency_bucket_name_reads_back_as_its_bound() -> None:
    assert [
        history.latency_bound(history.latency_counter(bound)) for bound in history.LATENCY_BUCKETS
    ] == list(history.LATENCY_BUCKETS)
