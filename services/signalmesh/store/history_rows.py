"""What both backends decide the same way about history, kept pure: which increments a batch
may write, how hourly buckets add up to days, and where each retention cuts.

The SQLite backend does the adding in SQL and the Redis one in Python, but both take the
cut-offs and the validation from here, so their behaviour cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from signalmesh.monitoring.history import DAILY, HOURLY, BucketKey, HistoryDelta, HistoryRow, day_start

RESOLUTIONS = (HOURLY, DAILY)


def checked_increments(history: HistoryDelta | None) -> list[tuple[BucketKey, str, float]]:
    """The delta's increments, refused as a whole when one is not a finite number.

    Checked before anything is written: Redis cannot roll a MULTI back, so a bad amount must
    never reach it half-way through a batch (SQLite would roll back, but both refuse alike).
    """
    if not history:
        return []
    increments = list(history.items())
    for key, counter, amount in increments:
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
            raise ValueError(f"history {key} {counter}: {amount!r} is not a finite number")
    return increments


def checked_resolution(resolution: str) -> str:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"history resolution {resolution!r}: expected one of {', '.join(RESOLUTIONS)}")
    return resolution


@dataclass(frozen=True, slots=True)
class RetentionCuts:
    """Rows starting before these times are forgotten by a roll-up.

    ``hourly`` is rounded down to a UTC day start: hourly rows go a whole day at a time, so a
    day that still has hourly rows has all of them and its roll-up, recomputed from them, never
    shrinks. ``records`` (deliveries, observations by event time) follows the hourly retention.
    ``ended_days`` is the start of the current UTC day: days before it have ended.
    """

    ended_days: int
    hourly: int
    daily: float
    records: float


def retention_cuts(now: float, hourly_retention: float, daily_retention: float) -> RetentionCuts:
    return RetentionCuts(
        ended_days=day_start(now),
        hourly=day_start(now - hourly_retention),
        daily=now - daily_retention,
        records=now - hourly_retention,
    )


def daily_roll_ups(hourly_rows: Iterable[HistoryRow], ended_days: int) -> dict[BucketKey, dict[str, float]]:
    """Sum hourly rows into one bucket per (UTC day, destination, event name, mode), for the
    days that start before ``ended_days`` only (today is still being counted)."""
    days: dict[BucketKey, dict[str, float]] = {}
    for row in hourly_rows:
        day = day_start(row.key.start)
        if day >= ended_days:
            continue
        key = BucketKey(day, row.key.destination, row.key.event_name, row.key.mode)
        counters = days.setdefault(key, {})
        for name, amount in row.counters.items():
            counters[name] = counters.get(name, 0.0) + amount
    return days
