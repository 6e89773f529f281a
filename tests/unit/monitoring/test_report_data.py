"""The report's figures from known history: what a reader sees must be what happened."""

from __future__ import annotations

import json
import math

import pytest
from signalmesh.monitoring.history import (
    DAY,
    DELIVERED,
    HOUR,
    LIVE,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    REFUSED,
    SKIPPED,
    BucketKey,
    HistoryRow,
    latency_counter,
)
from signalmesh.monitoring.report_data import (
    BASELINE_DAYS,
    build_report,
    history_since,
    report_days,
)
from signalmesh.store.base import AlertRecord

from tests.support.report_history import (
    DROP_DAY,
    NOT_ROLLED_UP,
    REFUSAL_DAY,
    SAMPLE_NOW,
    TODAY,
    sample_history,
)


def _row(
    start: int, destination: str, counters: dict[str, float], event_name: str = "Purchase"
) -> HistoryRow:
    return HistoryRow(BucketKey(start, destination, event_name, LIVE), counters)


def _sample_report(days: int = 7):
    sample = sample_history()
    return sample, build_report(
        sample.daily, sample.hourly, sample.alerts, sample.reconciliation, days, sample.now
    )


def test_the_window_is_the_requested_days_ending_today() -> None:
    assert report_days(7, SAMPLE_NOW) == tuple(TODAY - offset * DAY for offset in range(6, -1, -1))
    assert history_since(7, SAMPLE_NOW) == TODAY - 6 * DAY - BASELINE_DAYS * DAY


def test_delivered_per_destination_per_day_is_what_the_history_holds() -> None:
    sample, report = _sample_report()
    assert [destination.destination for destination in report.destinations] == [
        "google-ads",
        "meta-main",
        "tiktok",
    ]
    for destination in report.destinations:
        assert [day.day for day in destination.days] == list(report.days)
        for day in destination.days:
            assert day.delivered == sample.delivered[(day.day, destination.destination)]
        assert destination.delivered == sum(
            sample.delivered[(day, destination.destination)] for day in report.days
        )


def test_days_not_rolled_up_yet_come_from_the_hours_and_no_day_counts_twice() -> None:
    sample, report = _sample_report()
    meta = next(destination for destination in report.destinations if destination.destination == "meta-main")
    by_day = {day.day: day.delivered for day in meta.days}
    # Yesterday has hourly rows only; older days have both a roll-up and their hours.
    assert by_day[NOT_ROLLED_UP] == sample.delivered[(NOT_ROLLED_UP, "meta-main")]
    assert by_day[TODAY - 3 * DAY] == sample.delivered[(TODAY - 3 * DAY, "meta-main")]


def test_a_roll_up_counts_when_its_hours_are_gone_and_newer_hours_win_over_a_stale_roll_up() -> None:
    pruned_day, stale_day, now = TODAY - 2 * DAY, TODAY - DAY, SAMPLE_NOW
    daily = [_row(pruned_day, "d", {DELIVERED: 100}), _row(stale_day, "d", {DELIVERED: 50})]
    hourly = [
        _row(pruned_day + 23 * HOUR, "d", {DELIVERED: 4}),  # retention took the day's other hours
        _row(stale_day + 1 * HOUR, "d", {DELIVERED: 50}),
        _row(stale_day + 22 * HOUR, "d", {DELIVERED: 7}),  # a late delivery after the roll-up ran
    ]
    report = build_report(daily, hourly, [], None, 3, now)
    assert [day.delivered for day in report.destinations[0].days] == [100, 57, 0]


def test_the_baseline_is_the_mean_of_the_previous_seven_days() -> None:
    days = [TODAY - offset * DAY for offset in range(9, -1, -1)]
    delivered = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    rows = [_row(day, "d", {DELIVERED: amount}) for day, amount in zip(days, delivered, strict=True)]
    report = build_report(rows, [], [], None, 2, SAMPLE_NOW)
    yesterday, today = report.destinations[0].days
    assert yesterday.baseline == pytest.approx(sum(delivered[1:8]) / 7)
    assert today.baseline == pytest.approx(sum(delivered[2:9]) / 7)


def test_days_before_the_history_knew_a_destination_are_not_counted_as_zero() -> None:
    rows = [_row(TODAY - 3 * DAY, "new", {DELIVERED: 30}), _row(TODAY - 2 * DAY, "new", {DELIVERED: 60})]
    report = build_report(rows, [], [], None, 4, SAMPLE_NOW)
    assert [day.baseline for day in report.destinations[0].days] == [
        None,
        30,
        45,
        30,
    ]  # yesterday delivered none: a real zero


def test_a_day_below_half_its_baseline_is_a_drop_but_today_in_progress_is_not() -> None:
    _, report = _sample_report()
    meta = next(destination for destination in report.destinations if destination.destination == "meta-main")
    flags = {day.day: day.volume_flag for day in meta.days}
    assert flags[DROP_DAY] == "drop"
    assert [day for day, flag in flags.items() if flag] == [DROP_DAY]
    rows = [_row(TODAY - offset * DAY, "d", {DELIVERED: 100}) for offset in range(8, 0, -1)]
    rows.append(_row(TODAY, "d", {DELIVERED: 10}))
    (today,) = build_report(rows, [], [], None, 1, SAMPLE_NOW).destinations[0].days
    assert today.partial and today.baseline == 100 and today.volume_flag == ""


def test_a_day_over_five_times_its_baseline_is_a_spike() -> None:
    rows = [_row(TODAY - offset * DAY, "d", {DELIVERED: 10}) for offset in range(8, 1, -1)]
    rows.append(_row(TODAY - DAY, "d", {DELIVERED: 51}))
    report = build_report(rows, [], [], None, 2, SAMPLE_NOW)
    assert report.destinations[0].days[0].volume_flag == "spike"


def test_test_mode_traffic_stays_out_of_the_live_report() -> None:
    sample, report = _sample_report()
    meta = next(destination for destination in report.destinations if destination.destination == "meta-main")
    assert meta.days[-1].delivered == sample.delivered[(TODAY, "meta-main")]
    test_report = build_report(sample.daily, sample.hourly, [], None, 7, sample.now, mode="test")
    assert test_report.delivered == 999


def test_skip_and_refusal_reasons_are_counted_per_day_largest_first() -> None:
    _, report = _sample_report()
    assert [reason.reason for reason in report.skip_reasons] == [
        "duplicate",
        "missing_click_id",
        "consent_denied",
    ]
    refusals = {reason.reason: reason for reason in report.refusals}
    assert list(refusals) == ["invalid_parameter", "event_too_old"]
    spike_index = report.days.index(REFUSAL_DAY)
    too_old = refusals["event_too_old"]
    assert too_old.per_day[spike_index] == 40 and too_old.total == 40
    assert too_old.by_destination == {"google-ads": 40}
    invalid = refusals["invalid_parameter"].per_day
    assert invalid[spike_index] > 10 * max(
        amount for index, amount in enumerate(invalid) if index != spike_index
    )
    assert report.refused == sum(reason.total for reason in report.refusals)
    google = next(
        destination for destination in report.destinations if destination.destination == "google-ads"
    )
    # The spike's 200 on Purchase, plus Lead's usual handful.
    assert 200 < google.days[spike_index].refused < 205


def test_match_quality_is_the_weighted_mean_per_day_and_none_without_scores() -> None:
    rows = [
        _row(TODAY, "d", {MATCH_QUALITY_SUM: 80.0, MATCH_QUALITY_COUNT: 10}, "Purchase"),
        _row(TODAY, "d", {MATCH_QUALITY_SUM: 20.0, MATCH_QUALITY_COUNT: 10}, "Lead"),
        _row(TODAY - DAY, "d", {DELIVERED: 5}),
    ]
    report = build_report(rows, [], [], None, 2, SAMPLE_NOW)
    yesterday, today = report.destinations[0].days
    assert yesterday.match_quality is None
    assert today.match_quality == pytest.approx(5.0)
    _, sample_report = _sample_report()
    tiktok = next(
        destination for destination in sample_report.destinations if destination.destination == "tiktok"
    )
    assert [round(day.match_quality or 0, 1) for day in tiktok.days] == [7.1, 7.1, 7.1, 7.1, 5.4, 5.4, 5.4]


def test_latency_quantiles_are_bucket_bounds_per_day() -> None:
    counters = {latency_counter(3): 90.0, latency_counter(2 * HOUR): 9.0, latency_counter(30 * DAY): 1.0}
    report = build_report([_row(TODAY, "d", counters)], [], [], None, 1, SAMPLE_NOW)
    today = report.destinations[0].days[0]
    assert today.latency_p50 == 5
    assert today.latency_p95 == 4 * HOUR
    assert report.destinations[0].latency_p95 == 4 * HOUR
    only_late = build_report(
        [_row(TODAY, "d", {latency_counter(30 * DAY): 3.0})], [], [], None, 1, SAMPLE_NOW
    )
    assert only_late.destinations[0].days[0].latency_p50 == math.inf


def test_the_reconciliation_keeps_the_fields_the_report_shows() -> None:
    _, report = _sample_report()
    summary = report.reconciliation
    assert summary is not None
    assert (summary.result, summary.since, summary.until) == ("WARN", "2026-10-28", "2026-10-30")
    drop = summary.rows[2]
    assert (drop.day, drop.event_name, drop.browser, drop.server, drop.crm) == (
        "2026-10-29",
        "Purchase",
        1510,
        1066,
        1450,
    )
    assert (drop.server_vs_browser, drop.crm_vs_server) == ("WARN", "WARN")
    assert drop.server_vs_browser_change == pytest.approx((1066 - 1510) / 1510)


def test_a_missing_or_malformed_reconciliation_reads_as_unknown() -> None:
    assert build_report([], [], [], None, 7, SAMPLE_NOW).reconciliation is None
    odd = {
        "result": None,
        "days": [{"day": "2026-10-30", "browser": "many", "server": {"meta": 3, "ga": 4}}, 7],
    }
    summary = build_report([], [], [], odd, 7, SAMPLE_NOW).reconciliation
    assert summary is not None and summary.result == ""
    (row,) = summary.rows
    assert (row.browser, row.server, row.crm, row.server_vs_browser) == (None, 7, None, "")
    assert row.server_vs_browser_change is None


def test_the_alert_timeline_covers_the_window_oldest_first_with_its_details() -> None:
    _, report = _sample_report()
    assert [alert.rule for alert in report.alerts] == ["platform_refusals", "volume_drop", "match_quality"]
    firing = report.alerts[-1]
    assert firing.firing and firing.resolved_at is None
    assert (firing.figure, firing.threshold) == ("5.4", "6.0")
    assert report.firing_alerts == (firing,)
    resolved = report.alerts[0]
    assert resolved.resolved_at == REFUSAL_DAY + 17 * HOUR
    assert resolved.message == "google-ads refused 38 % of attempts in the last hour"


def test_alert_details_that_are_not_a_json_object_leave_the_fields_empty() -> None:
    alerts = [
        AlertRecord("a:x", "a", "critical", "firing", "x", fired_at=SAMPLE_NOW - HOUR, details="not json"),
        AlertRecord(
            "b:x", "b", "warning", "firing", "x", fired_at=SAMPLE_NOW - HOUR, details=json.dumps([1])
        ),
    ]
    report = build_report([], [], alerts, None, 7, SAMPLE_NOW)
    assert [(alert.rule, alert.message, alert.figure) for alert in report.alerts] == [
        ("a", "", ""),
        ("b", "", ""),
    ]


def test_no_history_is_an_empty_report_not_an_error() -> None:
    report = build_report([], [], [], None, 7, SAMPLE_NOW)
    assert len(report.days) == 7
    assert report.destinations == () and report.skip_reasons == () and report.refusals == ()
    assert not report.has_history
    assert report.delivered == 0 and report.refusal_rate is None and report.match_quality is None
    assert report.delivered_vs_baseline is None and report.latency_p95 is None


def test_overall_figures_add_up_the_destinations() -> None:
    _, report = _sample_report()
    assert report.delivered == sum(destination.delivered for destination in report.destinations)
    assert report.refusal_rate == pytest.approx(report.refused / (report.refused + report.delivered))
    assert report.has_history


def test_rows_outside_the_window_only_feed_the_baseline() -> None:
    rows = [_row(TODAY - 5 * DAY, "d", {DELIVERED: 70, SKIPPED + "duplicate": 3, REFUSED + "x": 2})]
    report = build_report(rows, [], [], None, 2, SAMPLE_NOW)
    assert report.delivered == 0 and report.skip_reasons == () and report.refusals == ()
    assert [day.baseline for day in report.destinations[0].days] == [70 / 4, 70 / 5]
