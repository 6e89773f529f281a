"""The alert rules: pure functions of hourly history, ``now`` and ``AlertSettings`` → findings.

The evaluator reads ``store.read_history(*evaluation_range(now, settings))`` once and passes the
rows to ``evaluate`` with the plain-data signals it has (credential ages, paused or open
destinations, the latest reconciliation). Only live-mode buckets count: test events are someone
trying things out, not the signal.

Windows. History's resolution is one hour, so:
- volume compares the last *full* hour (a partial hour against full-hour averages would always
  look like a drop);
- ratio rules (match quality, refusals, latency) use every bucket that overlaps the trailing
  window, the current partial hour included, so they react within minutes; "the last hour"
  therefore spans one to two buckets.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from signalmesh.monitoring import formatting
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.credential_rules import (
    DestinationSignal,
    destination_signal_findings,
    token_age_findings,
)
from signalmesh.monitoring.findings import (
    COUNT,
    CRITICAL,
    LATENCY,
    MATCH_QUALITY,
    RATIO,
    REFUSALS,
    SCORE,
    SECONDS,
    VOLUME_DROP,
    VOLUME_SPIKE,
    WARNING,
    Finding,
    destination_finding,
)
from signalmesh.monitoring.history import (
    DAY,
    DEAD_LETTERED,
    DELIVERED,
    HOUR,
    LIVE,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    REFUSED,
    RETRIED,
    HistoryRow,
    hour_start,
    latency_quantile,
    sum_rows,
)
from signalmesh.monitoring.reconciliation_json import discrepancy_findings


def evaluation_range(now: float, settings: AlertSettings) -> tuple[float, float]:
    """The [since, until) to read hourly history for one ``evaluate`` call: the baseline days
    plus one more (to see whether a destination already existed then; see ``volume_findings``)
    and the longest ratio window."""
    last_full_hour = hour_start(now) - HOUR
    baseline_start = last_full_hour - (settings.baseline_days + 1) * DAY
    longest_window = max(settings.match_quality_window, settings.refusal_window, settings.latency_window)
    return float(min(baseline_start, hour_start(now - longest_window))), float(hour_start(now) + HOUR)


def evaluate(
    rows: Sequence[HistoryRow],
    now: float,
    settings: AlertSettings,
    *,
    credential_since: Mapping[str, float] | None = None,
    signals: Sequence[DestinationSignal] = (),
    reconciliation: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Every rule's findings, sorted by alert key. ``credential_since`` maps a destination to
    when its credential was set (``rotated_at`` or first seen); ``reconciliation`` is the latest
    ``reconciliation.to_json`` document, or None when nobody has reconciled yet."""
    live = [row for row in rows if row.key.mode == LIVE]
    findings = [
        *volume_findings(live, now, settings),
        *match_quality_findings(live, now, settings),
        *refusal_findings(live, now, settings),
        *latency_findings(live, now, settings),
        *token_age_findings(credential_since or {}, now, settings),
        *destination_signal_findings(signals, now),
    ]
    if reconciliation is not None:
        findings.extend(discrepancy_findings(reconciliation))
    return sorted(findings, key=lambda finding: finding.alert_key)


# --- volume ----------------------------------------------------------------------------------
def volume_findings(rows: Sequence[HistoryRow], now: float, settings: AlertSettings) -> list[Finding]:
    """Last full hour's delivered count per destination vs the average of the same hour of day
    over the previous ``baseline_days`` days.

    A day counts in the average only if the destination already had history by then (its first
    bucket among ``rows`` is at or before that day's hour): a destination added two days ago is
    compared with those two days, not with five imaginary empty ones; a day it existed but
    delivered nothing counts as zero. Below ``min_baseline`` both rules stay silent."""
    current_hour = hour_start(now) - HOUR
    delivered: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    first_bucket: dict[str, int] = {}
    for row in rows:
        destination = row.key.destination
        first_bucket[destination] = min(first_bucket.get(destination, row.key.start), row.key.start)
        delivered[destination][row.key.start] += row.get(DELIVERED)
    findings: list[Finding] = []
    for destination in sorted(first_bucket):
        baseline_hours = [
            current_hour - days * DAY
            for days in range(1, settings.baseline_days + 1)
            if first_bucket[destination] <= current_hour - days * DAY
        ]
        if not baseline_hours:
            continue
        baseline = sum(delivered[destination].get(hour, 0.0) for hour in baseline_hours) / len(baseline_hours)
        if baseline < settings.min_baseline:
            continue
        figure = delivered[destination].get(current_hour, 0.0)
        finding = _volume_finding(destination, figure, baseline, len(baseline_hours), current_hour, settings)
        if finding is not None:
            findings.append(finding)
    return findings


def _volume_finding(
    destination: str, figure: float, baseline: float, days: int, hour: int, settings: AlertSettings
) -> Finding | None:
    if figure < settings.drop_ratio * baseline:
        rule, threshold, relation = VOLUME_DROP, settings.drop_ratio * baseline, "below"
        ratio = settings.drop_ratio
    elif figure > settings.spike_ratio * baseline:
        rule, threshold, relation = VOLUME_SPIKE, settings.spike_ratio * baseline, "over"
        ratio = settings.spike_ratio
    else:
        return None
    window = f"last full hour ({_clock(hour)}–{_clock(hour + HOUR)} UTC)"
    multiple = formatting.percent(ratio) if rule == VOLUME_DROP else f"{formatting.count(ratio)} ×"
    message = (
        f"{destination}: {formatting.count(figure)} delivered in the {window}, {relation} "
        f"{multiple} the {days}-day average for that hour ({formatting.count(baseline)})"
    )
    return destination_finding(
        rule, destination, figure, threshold, baseline=baseline, window=window, message=message,
        command=stats_command(destination, "7d"), unit=COUNT,
    )


# --- ratios over a trailing window -----------------------------------------------------------
def match_quality_findings(rows: Sequence[HistoryRow], now: float, settings: AlertSettings) -> list[Finding]:
    """Mean estimated match quality (sum / count) per destination over the window."""

    def judge(destination: str, counters: Mapping[str, float], window: str) -> Finding | None:
        scored = counters.get(MATCH_QUALITY_COUNT, 0.0)
        if scored < settings.match_quality_min_events:
            return None
        mean = counters.get(MATCH_QUALITY_SUM, 0.0) / scored
        if mean >= settings.match_quality_warn:
            return None
        message = (
            f"{destination}: mean estimated match quality {mean:.1f} over the {window} "
            f"({formatting.count(scored)} events), below {settings.match_quality_warn:.1f} (target 7.5–9)"
        )
        return destination_finding(
            MATCH_QUALITY, destination, mean, settings.match_quality_warn, window=window, message=message,
            command=stats_command(destination, "1d"), unit=SCORE,
        )

    return _trailing_window_findings(rows, now, settings.match_quality_window, judge)


def refusal_findings(rows: Sequence[HistoryRow], now: float, settings: AlertSettings) -> list[Finding]:
    """refused / attempted per destination over the window.

    attempted = delivered + refused + retried + dead-lettered: every delivery attempt ends in
    exactly one of these four outcomes, so their sum is the number of attempts the platform saw
    (a retried event counts once per attempt, as the platform counted it)."""

    def judge(destination: str, counters: Mapping[str, float], window: str) -> Finding | None:
        refused = _family(counters, REFUSED)
        attempted = (
            counters.get(DELIVERED, 0.0)
            + sum(refused.values())
            + sum(_family(counters, RETRIED).values())
            + sum(_family(counters, DEAD_LETTERED).values())
        )
        if attempted < settings.refusal_min_attempts or not refused:
            return None
        ratio = sum(refused.values()) / attempted
        if ratio <= settings.refusal_ratio:
            return None
        top_reason = max(sorted(refused), key=lambda reason: refused[reason])
        message = (
            f"{destination}: the platform refused {formatting.count(sum(refused.values()))} "
            f"of {formatting.count(attempted)} attempts ({formatting.percent(ratio)}) over the "
            f"{window}, over {formatting.percent(settings.refusal_ratio)}; most often: {top_reason}"
        )
        return destination_finding(
            REFUSALS, destination, ratio, settings.refusal_ratio, window=window, message=message,
            command=f"signalmesh dlq list --destination {destination}", unit=RATIO,
        )

    return _trailing_window_findings(rows, now, settings.refusal_window, judge)


def latency_findings(rows: Sequence[HistoryRow], now: float, settings: AlertSettings) -> list[Finding]:
    """The p95 (``latency_quantile``) of event_time → acceptance per destination over the
    window. The histogram gives bucket bounds, so the figure is "at most this long"."""

    def judge(destination: str, counters: Mapping[str, float], window: str) -> Finding | None:
        quantile = latency_quantile(counters, settings.latency_quantile)
        if quantile is None or quantile <= settings.latency_warn:
            return None
        critical = quantile > settings.latency_critical
        threshold = settings.latency_critical if critical else settings.latency_warn
        name = f"p{formatting.count(settings.latency_quantile * 100)}"
        message = (
            f"{destination}: {name} delivery latency {formatting.duration(quantile)} over the "
            f"{window}, over {formatting.duration(threshold)}"
        )
        return destination_finding(
            LATENCY, destination, quantile, threshold, severity=CRITICAL if critical else WARNING,
            window=window, message=message, command=stats_command(destination, "1d"), unit=SECONDS,
        )

    return _trailing_window_findings(rows, now, settings.latency_window, judge)


# --- helpers ---------------------------------------------------------------------------------
def stats_command(destination: str, since: str) -> str:
    return f"signalmesh stats --since {since} --destination {destination}"


def _trailing_window_findings(
    rows: Iterable[HistoryRow],
    now: float,
    window_seconds: float,
    judge: Callable[[str, Mapping[str, float], str], Finding | None],
) -> list[Finding]:
    """What ``judge`` finds in each destination's counters summed over the buckets touching
    the trailing window (``judge`` gets the window in words for its message)."""
    window = _window_words(window_seconds)
    findings = []
    for destination, counters in _per_destination(_touching(rows, now, window_seconds)):
        finding = judge(destination, counters, window)
        if finding is not None:
            findings.append(finding)
    return findings


def _touching(rows: Iterable[HistoryRow], now: float, window: float) -> list[HistoryRow]:
    """Buckets overlapping [now - window, now]."""
    first = hour_start(now - window)
    return [row for row in rows if first <= row.key.start <= now]


def _per_destination(rows: Iterable[HistoryRow]) -> list[tuple[str, dict[str, float]]]:
    by_destination: dict[str, list[HistoryRow]] = defaultdict(list)
    for row in rows:
        by_destination[row.key.destination].append(row)
    return [(destination, sum_rows(by_destination[destination])) for destination in sorted(by_destination)]


def _family(counters: Mapping[str, float], prefix: str) -> dict[str, float]:
    return {
        name.removeprefix(prefix): amount
        for name, amount in counters.items()
        if name.startswith(prefix) and amount
    }


def _window_words(seconds: float) -> str:
    if seconds == HOUR:
        return "last hour"
    if seconds % HOUR == 0:
        return f"last {int(seconds // HOUR)} h"
    return f"last {formatting.duration(seconds)}"


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M", time.gmtime(epoch))
