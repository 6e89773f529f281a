"""The report's figures, built from history rows, alerts and the latest reconciliation.

Pure: the CLI fetches rows through the same API as ``signalmesh stats`` (DESIGN §11) and the
renderers (``report_html``, ``report_terminal``) only draw what this module decided, so every
figure a reader sees is unit-tested here rather than in markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signalmesh.monitoring.history import (
    DAY,
    DELIVERED,
    LIVE,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    REFUSED,
    SKIPPED,
    HistoryRow,
    day_start,
    latency_quantile,
    sum_rows,
)
from signalmesh.monitoring.quality_bands import TARGET_BAND, WARN_BELOW
from signalmesh.monitoring.report_documents import (
    AlertEntry,
    ReconciliationSummary,
    alert_timeline,
    reconciliation_summary,
)
from signalmesh.store.base import AlertRecord

BASELINE_DAYS = 7
# The practice's match-quality lines (issue 9 §2): below 6.0 warns; 7.5–9 is where a healthy
# feed with hashed email, phone and click ids lands (``quality_bands``, shared with check/stats).
MATCH_QUALITY_WARNING = WARN_BELOW
MATCH_QUALITY_TARGET = TARGET_BAND
# The volume-drop and volume-spike alert thresholds, so the report marks the same days the
# alerts would (a day below half its baseline, or over five times it).
DROP_RATIO = 0.5
SPIKE_RATIO = 5.0


@dataclass(frozen=True, slots=True)
class DestinationDay:
    """One destination on one UTC day. ``None`` means no data, never zero."""

    day: int  # epoch second the UTC day begins
    delivered: float
    # Mean delivered per day over the previous 7 days the history covers for this destination.
    baseline: float | None
    refused: float
    skipped: float
    match_quality: float | None
    latency_p50: float | None  # seconds; a bucket's upper bound, math.inf past the last one
    latency_p95: float | None
    partial: bool = False  # today, still in progress

    @property
    def attempted(self) -> float:
        return self.delivered + self.refused

    @property
    def volume_flag(self) -> str:
        """ "drop", "spike" or "" — what the volume alerts would say of this day."""
        if self.partial or not self.baseline:
            return ""
        if self.delivered < DROP_RATIO * self.baseline:
            return "drop"
        if self.delivered > SPIKE_RATIO * self.baseline:
            return "spike"
        return ""


@dataclass(frozen=True, slots=True)
class DestinationReport:
    destination: str
    days: tuple[DestinationDay, ...]
    delivered: float
    refused: float
    match_quality: float | None  # mean over the whole window
    latency_p50: float | None
    latency_p95: float | None

    @property
    def refusal_rate(self) -> float | None:
        attempted = self.delivered + self.refused
        return self.refused / attempted if attempted else None

    @property
    def delivered_vs_baseline(self) -> float | None:
        """Full days' delivered against their baselines, as a change (−0.1 is 10 % under)."""
        return _baseline_change(self.days)


@dataclass(frozen=True, slots=True)
class ReasonCounts:
    """One skip or refusal reason over the window: per day (aligned with ``Report.days``) and
    per destination."""

    reason: str
    total: float
    per_day: tuple[float, ...]
    by_destination: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: float
    days: tuple[int, ...]  # UTC day starts, oldest first; the last is today, in progress
    destinations: tuple[DestinationReport, ...]
    skip_reasons: tuple[ReasonCounts, ...]  # largest first
    refusals: tuple[ReasonCounts, ...]  # largest first
    reconciliation: ReconciliationSummary | None
    alerts: tuple[AlertEntry, ...]  # oldest first
    # Every counter over the window, all destinations added up.
    totals: Mapping[str, float]

    @property
    def delivered(self) -> float:
        return self.totals.get(DELIVERED, 0.0)

    @property
    def refused(self) -> float:
        return _family_total(self.totals, REFUSED)

    @property
    def match_quality(self) -> float | None:
        return _match_quality(self.totals)

    @property
    def latency_p95(self) -> float | None:
        return latency_quantile(self.totals, 0.95)

    @property
    def delivered_vs_baseline(self) -> float | None:
        """All destinations' full days against their baselines, as a change."""
        return _baseline_change(day for destination in self.destinations for day in destination.days)

    @property
    def refusal_rate(self) -> float | None:
        attempted = self.delivered + self.refused
        return self.refused / attempted if attempted else None

    @property
    def firing_alerts(self) -> tuple[AlertEntry, ...]:
        return tuple(alert for alert in self.alerts if alert.firing)

    @property
    def has_history(self) -> bool:
        return any(
            day.delivered or day.refused or day.skipped
            for destination in self.destinations
            for day in destination.days
        )


def report_days(days: int, now: float) -> tuple[int, ...]:
    """The report's UTC days: ``days`` of them, ending with today."""
    today = day_start(now)
    return tuple(today - offset * DAY for offset in range(max(days, 1) - 1, -1, -1))


def history_since(days: int, now: float) -> float:
    """Where the caller's history query must start so the first day has its 7-day baseline."""
    return float(report_days(days, now)[0] - BASELINE_DAYS * DAY)


def build_report(
    daily_rows: Sequence[HistoryRow],
    hourly_rows: Sequence[HistoryRow],
    alerts: Sequence[AlertRecord],
    reconciliation: Mapping[str, Any] | None,
    days: int,
    now: float,
    mode: str = LIVE,
) -> Report:
    """Everything the report shows for the ``days`` UTC days ending today.

    Pass rows read from ``history_since(days, now)`` up to ``now``: ``daily_rows`` are the
    roll-ups, ``hourly_rows`` the hourly buckets (today and days not rolled up yet have only
    those). ``reconciliation`` is the latest ``signalmesh reconcile --json`` object, or None.
    Only rows of ``mode`` count, so test events never inflate the live figures."""
    window = report_days(days, now)
    by_day = _counters_by_day(daily_rows, hourly_rows, mode)
    destinations = sorted({destination for _, destination in by_day})
    return Report(
        generated_at=now,
        days=window,
        destinations=tuple(_destination_report(name, window, by_day) for name in destinations),
        skip_reasons=_reasons(SKIPPED, window, by_day),
        refusals=_reasons(REFUSED, window, by_day),
        reconciliation=reconciliation_summary(reconciliation),
        alerts=alert_timeline(alerts, since=window[0]),
        totals=_add(counters for (day, _), counters in by_day.items() if day in window),
    )


# --- history -------------------------------------------------------------------------------
DayKey = tuple[int, str]  # (UTC day start, destination)


def _counters_by_day(
    daily_rows: Iterable[HistoryRow], hourly_rows: Iterable[HistoryRow], mode: str
) -> dict[DayKey, dict[str, float]]:
    """Counters per (day, destination), each bucket taken from the roll-up or from the hours.

    A roll-up is the sum of its day's hours when it was computed: later hours only add to the
    hourly side, and retention only takes hours away. So for every (day, destination, event
    name) the source with the larger total is the complete one, and neither is counted twice.
    """
    from_days = _group(daily_rows, mode)
    from_hours = _group(hourly_rows, mode)
    merged: dict[DayKey, dict[str, float]] = {}
    for key in from_days.keys() | from_hours.keys():
        rolled_up, hourly = from_days.get(key, {}), from_hours.get(key, {})
        chosen = rolled_up if sum(rolled_up.values()) >= sum(hourly.values()) else hourly
        day, destination, _ = key
        target = merged.setdefault((day, destination), {})
        for name, amount in chosen.items():
            target[name] = target.get(name, 0.0) + amount
    return merged


def _group(rows: Iterable[HistoryRow], mode: str) -> dict[tuple[int, str, str], dict[str, float]]:
    grouped: dict[tuple[int, str, str], list[HistoryRow]] = {}
    for row in rows:
        if row.key.mode == mode:
            key = (day_start(row.key.start), row.key.destination, row.key.event_name)
            grouped.setdefault(key, []).append(row)
    return {key: sum_rows(group) for key, group in grouped.items()}


def _destination_report(
    destination: str, window: tuple[int, ...], by_day: Mapping[DayKey, Mapping[str, float]]
) -> DestinationReport:
    first_day = min(day for day, name in by_day if name == destination)
    today = window[-1]
    days = tuple(_destination_day(destination, day, first_day, day == today, by_day) for day in window)
    totals = _add(by_day.get((day, destination), {}) for day in window)
    return DestinationReport(
        destination=destination,
        days=days,
        delivered=totals.get(DELIVERED, 0.0),
        refused=_family_total(totals, REFUSED),
        match_quality=_match_quality(totals),
        latency_p50=latency_quantile(totals, 0.5),
        latency_p95=latency_quantile(totals, 0.95),
    )


def _destination_day(
    destination: str,
    day: int,
    first_day: int,
    partial: bool,
    by_day: Mapping[DayKey, Mapping[str, float]],
) -> DestinationDay:
    counters = by_day.get((day, destination), {})
    previous = [day - offset * DAY for offset in range(1, BASELINE_DAYS + 1)]
    # Days before the history knew this destination are unknown, not zero.
    covered = [earlier for earlier in previous if earlier >= first_day]
    baseline = (
        sum(by_day.get((earlier, destination), {}).get(DELIVERED, 0.0) for earlier in covered) / len(covered)
        if covered
        else None
    )
    return DestinationDay(
        day=day,
        delivered=counters.get(DELIVERED, 0.0),
        baseline=baseline,
        refused=_family_total(counters, REFUSED),
        skipped=_family_total(counters, SKIPPED),
        match_quality=_match_quality(counters),
        latency_p50=latency_quantile(counters, 0.5),
        latency_p95=latency_quantile(counters, 0.95),
        partial=partial,
    )


def _reasons(
    prefix: str, window: tuple[int, ...], by_day: Mapping[DayKey, Mapping[str, float]]
) -> tuple[ReasonCounts, ...]:
    per_day: dict[str, list[float]] = {}
    by_destination: dict[str, dict[str, float]] = {}
    for (day, destination), counters in by_day.items():
        if day not in window:
            continue
        index = window.index(day)
        for name, amount in counters.items():
            if not name.startswith(prefix) or not amount:
                continue
            reason = name.removeprefix(prefix)
            per_day.setdefault(reason, [0.0] * len(window))[index] += amount
            split = by_destination.setdefault(reason, {})
            split[destination] = split.get(destination, 0.0) + amount
    counts = [
        ReasonCounts(reason, sum(series), tuple(series), dict(sorted(by_destination[reason].items())))
        for reason, series in per_day.items()
    ]
    return tuple(sorted(counts, key=lambda counted: (-counted.total, counted.reason)))


def _add(counter_maps: Iterable[Mapping[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for counters in counter_maps:
        for name, amount in counters.items():
            total[name] = total.get(name, 0.0) + amount
    return total


def _family_total(counters: Mapping[str, float], prefix: str) -> float:
    return sum(amount for name, amount in counters.items() if name.startswith(prefix))


def _baseline_change(days: Iterable[DestinationDay]) -> float | None:
    """Today is left out: a day in progress is not a drop."""
    compared = [day for day in days if not day.partial and day.baseline is not None]
    return _change(sum(day.delivered for day in compared), sum(day.baseline or 0.0 for day in compared))


def _change(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return (value - reference) / reference


def _match_quality(counters: Mapping[str, float]) -> float | None:
    count = counters.get(MATCH_QUALITY_COUNT, 0.0)
    return counters.get(MATCH_QUALITY_SUM, 0.0) / count if count > 0 else None
