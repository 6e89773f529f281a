"""The pure decisions both store backends share about history: which increments a batch may
write, where each retention cuts, and how hours add up to days."""

from __future__ import annotations

import math

import pytest
from signalmesh.monitoring.history import DAY, HOUR, BucketKey, HistoryDelta, HistoryRow
from signalmesh.store.history_rows import (
    checked_increments,
    checked_resolution,
    daily_roll_ups,
    retention_cuts,
)

DAY0 = 19_700 * DAY  # a UTC midnight


def test_increments_of_a_delta_are_checked_as_a_whole() -> None:
    history = HistoryDelta()
    history.add(DAY0 + 5, "meta", "Purchase", "received", 2)
    history.add(DAY0 + 5, "meta", "Purchase", "value.EUR", 49.9)

    assert checked_increments(history) == [
        (BucketKey(DAY0, "meta", "Purchase"), "received", 2),
        (BucketKey(DAY0, "meta", "Purchase"), "value.EUR", 49.9),
    ]
    assert checked_increments(None) == [] and checked_increments(HistoryDelta()) == []


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf, "1", None, True])
def test_an_amount_that_is_not_a_finite_number_is_refused(amount: object) -> None:
    history = HistoryDelta()
    history.add(DAY0, "meta", "Purchase", "received")
    history.counts[BucketKey(DAY0, "meta", "Purchase")]["value.EUR"] = amount

    with pytest.raises(ValueError, match=r"value\.EUR"):
        checked_increments(history)


def test_only_hour_and_day_are_resolutions() -> None:
    assert checked_resolution("hour") == "hour" and checked_resolution("day") == "day"
    with pytest.raises(ValueError, match="'week'"):
        checked_resolution("week")


def test_the_hourly_cut_falls_back_to_the_start_of_the_day_it_lands_in() -> None:
    cuts = retention_cuts(
        now=DAY0 + 40 * DAY + 7 * HOUR, hourly_retention=35 * DAY, daily_retention=400 * DAY
    )

    assert cuts.ended_days == DAY0 + 40 * DAY
    assert cuts.hourly == DAY0 + 5 * DAY  # not 5 days and 7 hours
    assert cuts.records == DAY0 + 5 * DAY + 7 * HOUR
    assert cuts.daily == DAY0 + 40 * DAY + 7 * HOUR - 400 * DAY


def test_hours_add_up_per_day_destination_event_name_and_mode_for_ended_days_only() -> None:
    rows = [
        HistoryRow(BucketKey(DAY0 + HOUR, "meta", "Purchase"), {"received": 2, "delivered": 1}),
        HistoryRow(BucketKey(DAY0 + 23 * HOUR, "meta", "Purchase"), {"received": 3}),
        HistoryRow(BucketKey(DAY0 + 23 * HOUR, "meta", "Purchase", "test"), {"received": 9}),
        HistoryRow(BucketKey(DAY0 + 2 * HOUR, "google", "Purchase"), {"received": 4}),
        HistoryRow(BucketKey(DAY0 + DAY, "meta", "Purchase"), {"received": 100}),  # today
    ]

    assert daily_roll_ups(rows, ended_days=DAY0 + DAY) == {
        BucketKey(DAY0, "meta", "Purchase"): {"received": 5, "delivered": 1},
        BucketKey(DAY0, "meta", "Purchase", "test"): {"received": 9},
        BucketKey(DAY0, "google", "Purchase"): {"received": 4},
    }
