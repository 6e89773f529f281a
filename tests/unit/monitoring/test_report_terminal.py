"""The terminal report: the same figures as the page, as rich tables."""

from __future__ import annotations

from rich.console import Console
from signalmesh.monitoring.report_data import build_report
from signalmesh.monitoring.report_terminal import render_terminal

from tests.support.report_history import DROP_DAY, SAMPLE_NOW, sample_history


def _printed(report_days: int = 7, empty: bool = False) -> str:
    sample = sample_history()
    report = (
        build_report([], [], [], None, report_days, SAMPLE_NOW)
        if empty
        else build_report(
            sample.daily, sample.hourly, sample.alerts, sample.reconciliation, report_days, sample.now
        )
    )
    console = Console(record=True, width=200, force_terminal=False, color_system=None)
    render_terminal(report, console)
    return console.export_text()


def test_the_terminal_report_shows_each_destination_and_the_drop_day() -> None:
    sample = sample_history()
    printed = _printed()
    for destination in ("google-ads", "meta-main", "tiktok"):
        assert destination in printed
    drop = sample.delivered[(DROP_DAY, "meta-main")]
    meta_line = next(
        line for line in printed.splitlines() if line.startswith("│ meta-main") and f"{drop:,}" in line
    )
    assert "1,2" in meta_line  # the ordinary days beside it
    assert "1 alert firing" in printed
    assert "invalid parameter" in printed and "duplicate" in printed
    assert "Reconciliation WARN" in printed and "−29 % WARN" in printed
    assert "tiktok's match quality over 24 h is 5.4" in printed


def test_an_empty_terminal_report_says_what_is_missing() -> None:
    printed = _printed(empty=True)
    assert "No history in this period yet" in printed
    assert "Refused by the platforms: none in this period." in printed
    assert "Reconciliation: not run yet" in printed
    assert "Alerts: none fired in this period." in printed
