"""A known fortnight of history for the report's tests (and its README screenshot).

Three destinations over 15 UTC days ending ``SAMPLE_NOW``, with two stories a reader should
spot at a glance: meta-main's delivered count falls to a third on ``DROP_DAY`` (a server feed
that quietly stopped), and google-ads's platform refusals spike on ``REFUSAL_DAY``. tiktok's
match quality sinks below the warning line for the last three days (a format change).
Counts are plain arithmetic, no randomness, so tests can assert exact figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from signalmesh.monitoring.history import (
    DAY,
    DELIVERED,
    HOUR,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    REFUSED,
    SKIPPED,
    TEST,
    BucketKey,
    HistoryRow,
    latency_counter,
)
from signalmesh.store.base import AlertRecord

SAMPLE_NOW = datetime(2026, 10, 31, 15, 30, tzinfo=UTC).timestamp()
TODAY = int(SAMPLE_NOW // DAY) * DAY
HISTORY_DAYS = 15  # 7 report days + 7 baseline days + the one before, so every day has one
DROP_DAY = TODAY - 2 * DAY
REFUSAL_DAY = TODAY - 4 * DAY
NOT_ROLLED_UP = TODAY - DAY  # yesterday: hourly rows only, the roll-up has not run yet

# Delivered per full day (Purchase, Lead) and the share of each event name.
DAILY_DELIVERED = {"meta-main": 1200, "google-ads": 720, "tiktok": 360}
EVENT_SHARE = {"Purchase": 2, "Lead": 1}
# Monday … Sunday: weekends are quieter.
WEEKDAY_FACTOR = (1.0, 1.04, 1.08, 1.02, 0.96, 0.8, 0.76)
MATCH_QUALITY = {"meta-main": 8.2, "google-ads": 8.6, "tiktok": 7.1}
SINKING_MATCH_QUALITY = 5.4  # tiktok's last three days
# Delivery latency: seconds for the pixels' server twins, hours for offline conversions.
LATENCY_PROFILE: dict[str, dict[float, int]] = {
    "meta-main": {3: 70, 12: 20, 50: 8, 600: 2},
    "google-ads": {50: 40, 1_800: 30, 3 * HOUR: 25, 20 * HOUR: 5},
    "tiktok": {3: 60, 12: 30, 200: 10},
}
SKIPS = {"duplicate": 0.06, "missing_click_id": 0.04, "consent_denied": 0.015}
REFUSALS = {"invalid_parameter": 0.004}
SPIKE_REFUSALS = {"invalid_parameter": 160, "event_too_old": 40}
# Hours of the day weigh differently (quiet nights), as real traffic does.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 4, 3, 2, 2)


@dataclass(frozen=True, slots=True)
class SampleHistory:
    daily: list[HistoryRow]
    hourly: list[HistoryRow]
    alerts: list[AlertRecord]
    reconciliation: dict[str, Any]
    now: float = SAMPLE_NOW
    # Delivered per (day, destination), what the report must show.
    delivered: dict[tuple[int, str], int] = field(default_factory=dict)


def sample_history() -> SampleHistory:
    hourly: list[HistoryRow] = []
    delivered: dict[tuple[int, str], int] = {}
    for offset in range(HISTORY_DAYS - 1, -1, -1):
        day = TODAY - offset * DAY
        hours = range(int((SAMPLE_NOW - day) // HOUR) + 1) if day == TODAY else range(24)
        for destination in DAILY_DELIVERED:
            for event_name, counters in _day_counters(day, destination).items():
                rows = _split_into_hours(day, destination, event_name, counters, hours)
                hourly.extend(rows)
                delivered[(day, destination)] = delivered.get((day, destination), 0) + int(
                    sum(row.get(DELIVERED) for row in rows)
                )
    # Test-mode traffic the live report must leave out.
    hourly.append(HistoryRow(BucketKey(TODAY, "meta-main", "Purchase", TEST), {DELIVERED: 999.0}))
    daily = _roll_up([row for row in hourly if row.key.start < NOT_ROLLED_UP])
    return SampleHistory(daily, hourly, sample_alerts(), sample_reconciliation(), delivered=delivered)


def _day_counters(day: int, destination: str) -> dict[str, dict[str, float]]:
    """One full day of counters per event name for ``destination``."""
    total = round(DAILY_DELIVERED[destination] * WEEKDAY_FACTOR[datetime.fromtimestamp(day, UTC).weekday()])
    if destination == "meta-main" and day == DROP_DAY:
        total = total // 3
    quality = MATCH_QUALITY[destination]
    if destination == "tiktok" and day >= TODAY - 2 * DAY:
        quality = SINKING_MATCH_QUALITY
    shares = sum(EVENT_SHARE.values())
    result: dict[str, dict[str, float]] = {}
    for event_name, share in EVENT_SHARE.items():
        count = total * share // shares
        counters: dict[str, float] = {DELIVERED: count}
        for reason, rate in SKIPS.items():
            counters[SKIPPED + reason] = round(count * rate)
        refusals = (
            SPIKE_REFUSALS
            if destination == "google-ads" and day == REFUSAL_DAY and event_name == "Purchase"
            else {reason: round(count * rate) for reason, rate in REFUSALS.items()}
        )
        for reason, amount in refusals.items():
            counters[REFUSED + reason] = amount
        counters[MATCH_QUALITY_COUNT] = count
        counters[MATCH_QUALITY_SUM] = count * quality
        for seconds, percent in LATENCY_PROFILE[destination].items():
            name = latency_counter(seconds)
            counters[name] = counters.get(name, 0) + count * percent // 100
        result[event_name] = counters
    return result


def _split_into_hours(
    day: int, destination: str, event_name: str, counters: Mapping[str, float], hours: range
) -> list[HistoryRow]:
    """Spread a day's counters over its hours by ``HOUR_WEIGHTS``; whole numbers stay whole.
    For today (``hours`` cut short) only the hours so far are kept."""
    weight_total = sum(HOUR_WEIGHTS)
    per_hour: list[dict[str, float]] = [{} for _ in range(24)]
    for name, amount in counters.items():
        if name == MATCH_QUALITY_SUM:
            continue
        parts = [int(amount * weight // weight_total) for weight in HOUR_WEIGHTS]
        for index in range(int(amount) - sum(parts)):
            parts[8 + index % 16] += 1
        for hour, part in enumerate(parts):
            if part:
                per_hour[hour][name] = float(part)
    quality = counters[MATCH_QUALITY_SUM] / counters[MATCH_QUALITY_COUNT]
    for hour_counters in per_hour:
        if MATCH_QUALITY_COUNT in hour_counters:
            hour_counters[MATCH_QUALITY_SUM] = hour_counters[MATCH_QUALITY_COUNT] * quality
    return [
        HistoryRow(BucketKey(day + hour * HOUR, destination, event_name), per_hour[hour])
        for hour in hours
        if per_hour[hour]
    ]


def _roll_up(hourly: list[HistoryRow]) -> list[HistoryRow]:
    """What ``Store.roll_up_history`` writes: each ended day's hours added up."""
    days: dict[BucketKey, dict[str, float]] = {}
    for row in hourly:
        key = BucketKey(
            int(row.key.start // DAY) * DAY, row.key.destination, row.key.event_name, row.key.mode
        )
        target = days.setdefault(key, {})
        for name, amount in row.counters.items():
            target[name] = target.get(name, 0.0) + amount
    return [HistoryRow(key, counters) for key, counters in sorted(days.items())]


def sample_alerts() -> list[AlertRecord]:
    """The alerts that history would have raised: a drop (resolved), the refusal spike
    (resolved) and the sinking match quality (still firing)."""

    def details(message: str, figure: str, threshold: str) -> str:
        return json.dumps({"message": message, "figure": figure, "threshold": threshold})

    return [
        AlertRecord(
            alert_key="platform_refusals:google-ads",
            rule="platform_refusals",
            severity="warning",
            state="resolved",
            destination="google-ads",
            fired_at=REFUSAL_DAY + 10 * HOUR,
            resolved_at=REFUSAL_DAY + 17 * HOUR,
            details=details("google-ads refused 38 % of attempts in the last hour", "38 %", "5 %"),
        ),
        AlertRecord(
            alert_key="volume_drop:meta-main",
            rule="volume_drop",
            severity="warning",
            state="resolved",
            destination="meta-main",
            fired_at=DROP_DAY + 6 * HOUR,
            resolved_at=DROP_DAY + 23 * HOUR,
            details=details("meta-main delivered 18 in the last hour against a baseline of 61", "18", "30"),
        ),
        AlertRecord(
            alert_key="match_quality:tiktok",
            rule="match_quality",
            severity="warning",
            state="firing",
            destination="tiktok",
            fired_at=TODAY - DAY + 9 * HOUR,
            details=details("tiktok's match quality over 24 h is 5.4", "5.4", "6.0"),
        ),
        AlertRecord(
            alert_key="token_age:meta-main",
            rule="token_age",
            severity="warning",
            state="resolved",
            destination="meta-main",
            fired_at=TODAY - 40 * DAY,
            resolved_at=TODAY - 30 * DAY,
            details=details("older than the report: left out", "", ""),
        ),
    ]


def sample_reconciliation() -> dict[str, Any]:
    """A ``signalmesh reconcile --json`` object (only the fields the report reads, plus one
    it must ignore)."""

    def day(offset: int) -> str:
        return datetime.fromtimestamp(TODAY - offset * DAY, UTC).date().isoformat()

    def row(offset: int, event_name: str, browser: int, server: int, crm: int) -> dict[str, Any]:
        return {
            "day": day(offset),
            "event_name": event_name,
            "browser": browser,
            "server": server,
            "crm": crm,
            "server_vs_browser": {"result": "PASS" if abs(server - browser) < 0.05 * browser else "WARN"},
            "crm_vs_server": {"result": "PASS" if abs(crm - server) < 0.10 * server else "WARN"},
        }

    return {
        "result": "WARN",
        "since": day(3),
        "until": day(1),
        "days": [
            row(3, "Purchase", 1530, 1528, 1490),
            row(3, "Lead", 765, 760, 741),
            row(2, "Purchase", 1510, 1066, 1450),
            row(2, "Lead", 760, 533, 730),
            row(1, "Purchase", 1525, 1520, 1502),
            row(1, "Lead", 770, 762, 598),
        ],
        "missing": {"ignored": "by the report"},
    }
