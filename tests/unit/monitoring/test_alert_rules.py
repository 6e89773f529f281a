"""The alert rules are pure functions of hourly history, now and the thresholds: each is driven
on both sides of its threshold with an injected clock."""

from __future__ import annotations

import calendar

import pytest
from signalmesh.monitoring.alert_rules import (
    evaluate,
    evaluation_range,
    latency_findings,
    match_quality_findings,
    refusal_findings,
    volume_findings,
)
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.credential_rules import (
    DestinationSignal,
    destination_signal_findings,
    token_age_findings,
)
from signalmesh.monitoring.findings import CREDENTIALS, CRITICAL, WARNING
from signalmesh.monitoring.history import (
    DAY,
    DELIVERED,
    HOUR,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    TEST,
    BucketKey,
    HistoryRow,
    latency_counter,
)

# Tuesday 2026-03-10 14:20 UTC: the last full hour is 13:00–14:00.
NOW = calendar.timegm((2026, 3, 10, 14, 20, 0))
LAST_FULL_HOUR = calendar.timegm((2026, 3, 10, 13, 0, 0))
SETTINGS = AlertSettings()


def row(
    start: float, destination: str = "meta", counters: dict[str, float] | None = None, mode: str = "live"
):
    return HistoryRow(BucketKey(int(start), destination, "Purchase", mode), counters or {})


def baseline_rows(per_hour: float, days: int = 7, destination: str = "meta") -> list[HistoryRow]:
    """``per_hour`` deliveries at 13:00 on each of the previous ``days`` days."""
    return [row(LAST_FULL_HOUR - day * DAY, destination, {DELIVERED: per_hour}) for day in range(1, days + 1)]


# --- volume ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("current", "fires"), [(49, True), (50, False), (51, False)])
def test_volume_drop_fires_below_half_of_the_baseline(current, fires):
    rows = [*baseline_rows(100), row(LAST_FULL_HOUR, counters={DELIVERED: current})]
    findings = volume_findings(rows, NOW, SETTINGS)
    assert [finding.rule for finding in findings] == (["volume_drop"] if fires else [])
    if fires:
        finding = findings[0]
        assert finding.alert_key == "volume_drop:meta" and finding.destination == "meta"
        assert (finding.figure, finding.baseline, finding.threshold) == (current, 100, 50)
        assert "13:00–14:00 UTC" in finding.window
        assert finding.command == "signalmesh stats --since 7d --destination meta"


def test_a_destination_that_went_silent_is_a_drop_to_zero():
    findings = volume_findings(baseline_rows(40), NOW, SETTINGS)
    assert [(finding.rule, finding.figure) for finding in findings] == [("volume_drop", 0.0)]


@pytest.mark.parametrize(("current", "fires"), [(500, False), (501, True)])
def test_volume_spike_fires_over_five_times_the_baseline(current, fires):
    rows = [*baseline_rows(100), row(LAST_FULL_HOUR, counters={DELIVERED: current})]
    rules = [finding.rule for finding in volume_findings(rows, NOW, SETTINGS)]
    assert rules == (["volume_spike"] if fires else [])


@pytest.mark.parametrize(("per_hour", "fires"), [(19, False), (20, True)])
def test_volume_rules_stay_silent_while_the_baseline_is_under_min_baseline(per_hour, fires):
    rows = [*baseline_rows(per_hour), row(LAST_FULL_HOUR, counters={DELIVERED: 0})]
    assert bool(volume_findings(rows, NOW, SETTINGS)) is fires


def test_the_baseline_is_the_same_hour_of_day_not_the_other_hours():
    # Busy at 13:00 every day, quiet at 03:00: 13:00 today at its usual 100 is no drop, though
    # the all-hours average is far lower; a quiet 03:00 would not lift the 13:00 baseline.
    rows = [*baseline_rows(100)]
    rows += [row(LAST_FULL_HOUR - day * DAY - 10 * HOUR, counters={DELIVERED: 1}) for day in range(1, 8)]
    rows.append(row(LAST_FULL_HOUR, counters={DELIVERED: 100}))
    assert volume_findings(rows, NOW, SETTINGS) == []

    quiet_at_13 = [*baseline_rows(30)]
    quiet_at_13 += [row(LAST_FULL_HOUR - day * DAY + HOUR, counters={DELIVERED: 1000}) for day in range(1, 8)]
    quiet_at_13.append(row(LAST_FULL_HOUR, counters={DELIVERED: 14}))
    (finding,) = volume_findings(quiet_at_13, NOW, SETTINGS)
    assert (finding.rule, finding.baseline) == ("volume_drop", 30)


def test_the_current_partial_hour_is_not_compared():
    rows = [*baseline_rows(100), row(LAST_FULL_HOUR, counters={DELIVERED: 100})]
    rows.append(row(LAST_FULL_HOUR + HOUR, counters={DELIVERED: 3}))
    assert volume_findings(rows, NOW, SETTINGS) == []


def test_a_young_destination_is_averaged_over_the_days_it_existed():
    # Two days of 100 at 13:00: the baseline is 100, not 200 / 7, so 150 today is no spike
    # and 40 is a drop.
    young = baseline_rows(100, days=2)
    assert volume_findings([*young, row(LAST_FULL_HOUR, counters={DELIVERED: 150})], NOW, SETTINGS) == []
    (finding,) = volume_findings([*young, row(LAST_FULL_HOUR, counters={DELIVERED: 40})], NOW, SETTINGS)
    assert finding.baseline == 100


def test_a_day_the_destination_existed_but_delivered_nothing_counts_as_zero():
    # History since eight days ago (one bucket at 05:00), deliveries at 13:00 on one day only.
    rows = [row(LAST_FULL_HOUR - 8 * DAY - 8 * HOUR, counters={DELIVERED: 1})]
    rows.append(row(LAST_FULL_HOUR - DAY, counters={DELIVERED: 700}))
    rows.append(row(LAST_FULL_HOUR, counters={DELIVERED: 20}))
    (finding,) = volume_findings(rows, NOW, SETTINGS)
    assert (finding.rule, finding.baseline) == ("volume_drop", 100)


def test_destinations_are_judged_apart():
    rows = [*baseline_rows(100, destination="meta"), *baseline_rows(100, destination="tiktok")]
    rows += [
        row(LAST_FULL_HOUR, "meta", {DELIVERED: 100}),
        row(LAST_FULL_HOUR, "tiktok", {DELIVERED: 10}),
    ]
    assert [finding.alert_key for finding in volume_findings(rows, NOW, SETTINGS)] == ["volume_drop:tiktok"]


def test_evaluate_ignores_test_mode_history():
    rows = [*baseline_rows(100), row(LAST_FULL_HOUR, counters={DELIVERED: 100})]
    rows.append(row(LAST_FULL_HOUR, counters={DELIVERED: 10_000}, mode=TEST))
    assert evaluate(rows, NOW, SETTINGS) == []


def test_evaluation_range_covers_the_baseline_and_the_day_before_it():
    since, until = evaluation_range(NOW, SETTINGS)
    assert since == LAST_FULL_HOUR - 8 * DAY
    assert until == LAST_FULL_HOUR + 2 * HOUR


# --- match quality ---------------------------------------------------------------------------
@pytest.mark.parametrize(("mean", "fires"), [(5.9, True), (6.0, False)])
def test_match_quality_warns_below_six_over_the_last_day(mean, fires):
    rows = [row(NOW - 5 * HOUR, counters={MATCH_QUALITY_SUM: mean * 100, MATCH_QUALITY_COUNT: 100})]
    findings = match_quality_findings(rows, NOW, SETTINGS)
    assert bool(findings) is fires
    if fires:
        assert findings[0].severity == WARNING and findings[0].threshold == 6.0
        assert findings[0].window == "last 24 h"


def test_match_quality_outside_the_window_or_on_too_few_events_is_ignored():
    old = row(NOW - 30 * HOUR, counters={MATCH_QUALITY_SUM: 100, MATCH_QUALITY_COUNT: 100})
    few = row(NOW - HOUR, counters={MATCH_QUALITY_SUM: 19, MATCH_QUALITY_COUNT: 19})
    assert match_quality_findings([old, few], NOW, SETTINGS) == []


# --- refusals --------------------------------------------------------------------------------
def attempts(delivered: float, refused: float, retried: float = 0, dead: float = 0) -> dict[str, float]:
    return {
        DELIVERED: delivered,
        "refused.invalid_parameter": refused,
        "retried.5xx": retried,
        "dead_lettered.expired": dead,
    }


@pytest.mark.parametrize(("refused", "fires"), [(5, False), (6, True)])
def test_refusals_fire_over_five_percent_of_attempts(refused, fires):
    # attempted = delivered + refused + retried + dead-lettered = 100.
    rows = [row(LAST_FULL_HOUR + HOUR, counters=attempts(90 - refused, refused, retried=8, dead=2))]
    findings = refusal_findings(rows, NOW, SETTINGS)
    assert bool(findings) is fires
    if fires:
        assert findings[0].figure == pytest.approx(refused / 100)
        assert "invalid_parameter" in findings[0].message
        assert findings[0].command == "signalmesh dlq list --destination meta"


@pytest.mark.parametrize(("total", "fires"), [(19, False), (20, True)])
def test_refusals_need_at_least_twenty_attempts(total, fires):
    rows = [row(NOW, counters=attempts(total - 10, 10))]
    assert bool(refusal_findings(rows, NOW, SETTINGS)) is fires


def test_refusals_older_than_the_window_are_forgotten():
    rows = [row(NOW - 3 * HOUR, counters=attempts(0, 100)), row(NOW, counters=attempts(100, 0))]
    assert refusal_findings(rows, NOW, SETTINGS) == []


# --- latency ---------------------------------------------------------------------------------
def latencies(seconds: float, slow: float, fast: float = 0) -> dict[str, float]:
    return {latency_counter(seconds): slow, latency_counter(1): fast}


def test_latency_under_an_hour_is_fine():
    rows = [row(NOW, counters=latencies(HOUR, 100))]
    assert latency_findings(rows, NOW, SETTINGS) == []


def test_latency_p95_over_an_hour_warns_and_over_a_day_is_critical():
    warn = latency_findings([row(NOW, counters=latencies(2 * HOUR, 6, fast=94))], NOW, SETTINGS)
    assert [(finding.severity, finding.threshold) for finding in warn] == [(WARNING, HOUR)]
    critical = latency_findings([row(NOW, counters=latencies(2 * DAY, 10, fast=90))], NOW, SETTINGS)
    assert [(finding.severity, finding.threshold) for finding in critical] == [(CRITICAL, DAY)]


def test_latency_below_the_p95_does_not_count():
    rows = [row(NOW, counters=latencies(2 * DAY, 5, fast=95))]
    assert latency_findings(rows, NOW, SETTINGS) == []


# --- token age, credentials, circuit ---------------------------------------------------------
@pytest.mark.parametrize(
    ("age_days", "severity"), [(79, None), (80.5, WARNING), (90, WARNING), (90.5, CRITICAL)]
)
def test_token_age_warns_at_eighty_days_and_is_critical_past_ninety(age_days, severity):
    findings = token_age_findings({"meta": NOW - age_days * DAY}, NOW, SETTINGS)
    assert [finding.severity for finding in findings] == ([] if severity is None else [severity])


def test_dead_tokens_and_open_circuits_become_alerts():
    signals = [
        DestinationSignal("meta", CREDENTIALS, "the platform refused the credentials: 401", NOW - 60),
        DestinationSignal("tiktok", "circuit_open", "consecutive failures: 503", NOW - 120),
    ]
    findings = destination_signal_findings(signals, NOW)
    assert [(finding.alert_key, finding.severity) for finding in findings] == [
        ("circuit_open:tiktok", WARNING),
        ("credentials:meta", CRITICAL),
    ]
    assert "401" in findings[1].message and findings[1].figure == 60


def test_evaluate_gathers_every_rule_sorted_by_key():
    rows = [*baseline_rows(100), row(NOW, counters=attempts(0, 30))]
    signals = [DestinationSignal("meta", CREDENTIALS, "401", NOW)]
    findings = evaluate(rows, NOW, SETTINGS, credential_since={"meta": NOW - 100 * DAY}, signals=signals)
    assert [finding.alert_key for finding in findings] == [
        "credentials:meta",
        "refusals:meta",
        "token_age:meta",
        "volume_drop:meta",
    ]
