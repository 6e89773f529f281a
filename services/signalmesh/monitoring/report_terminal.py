"""`signalmesh report` in the terminal: the page's figures as rich tables, for a quick look over
SSH. Same ``Report``, same wording and number formats as the HTML page."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalmesh.monitoring import report_format as fmt
from signalmesh.monitoring.report_data import (
    MATCH_QUALITY_TARGET,
    MATCH_QUALITY_WARNING,
    DestinationDay,
    ReasonCounts,
    Report,
)

_RESULT_STYLES = {"PASS": "bold green", "WARN": "bold yellow"}


def render_terminal(report: Report, console: Console) -> None:
    """Print the report: summary, delivered per day, reasons, quality, latency, reconciliation,
    alerts. Each table is left out, with one line saying so, when it has nothing to show."""
    period = f"{fmt.date(report.days[0])} – {fmt.date(report.days[-1])}"
    console.print(
        Text.assemble(
            ("Signal report", "bold"),
            f"  {len(report.days)} days · {period} (UTC) · generated ",
            fmt.moment(report.generated_at),
        )
    )
    firing = report.firing_alerts
    console.print(
        Text(f"{len(firing)} alert{'s' if len(firing) != 1 else ''} firing", style="bold yellow")
        if firing
        else Text("No alert firing", style="green")
    )
    if not report.has_history:
        console.print("No history in this period yet: nothing was received or delivered.")
    else:
        console.print(_summary(report))
        console.print(_delivered(report))
        low, high = MATCH_QUALITY_TARGET
        quality_title = (
            f"Match quality per day (target {low:g}–{high:g}, warning below {MATCH_QUALITY_WARNING:g})"
        )
        console.print(_per_day(report, quality_title, _quality_cell))
        console.print(_per_day(report, "Delivery latency per day, p50 / p95 (bucket bounds)", _latency_cell))
    _print_reasons(console, "Refused by the platforms", report.refusals, report)
    _print_reasons(console, "Skipped by policy", report.skip_reasons, report)
    _print_reconciliation(console, report)
    _print_alerts(console, report)


def _summary(report: Report) -> Table:
    table = Table(title="Destinations", title_justify="left")
    for column in ("destination", "delivered", "vs baseline", "refused", "match quality", "p95 latency"):
        table.add_column(column, justify="left" if column == "destination" else "right")
    for destination in report.destinations:
        table.add_row(
            destination.destination,
            fmt.count(destination.delivered),
            fmt.signed_percent(destination.delivered_vs_baseline),
            fmt.percent(destination.refusal_rate),
            _quality_text(destination.match_quality),
            fmt.duration(destination.latency_p95),
        )
    table.add_row(
        Text("all", style="bold"),
        Text(fmt.count(report.delivered), style="bold"),
        fmt.signed_percent(report.delivered_vs_baseline),
        fmt.percent(report.refusal_rate),
        _quality_text(report.match_quality),
        fmt.duration(report.latency_p95),
        end_section=True,
    )
    return table


def _day_columns(report: Report, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("destination")
    for index, day in enumerate(report.days):
        table.add_column("today" if index == len(report.days) - 1 else fmt.day_label(day), justify="right")
    return table


def _delivered(report: Report) -> Table:
    table = _day_columns(report, "Delivered per day (7-day baseline below; red: under half of it)")
    for destination in report.destinations:
        delivered = []
        baselines = []
        for day in destination.days:
            flag = day.volume_flag
            style = "bold red" if flag == "drop" else "bold yellow" if flag == "spike" else ""
            delivered.append(Text(fmt.count(day.delivered), style=style))
            baselines.append(Text("–" if day.baseline is None else fmt.count(day.baseline), style="dim"))
        table.add_row(destination.destination, *delivered)
        table.add_row(Text("  baseline", style="dim"), *baselines)
    return table


def _per_day(report: Report, title: str, cell: Callable[[DestinationDay], Text]) -> Table:
    table = _day_columns(report, title)
    for destination in report.destinations:
        table.add_row(destination.destination, *(cell(day) for day in destination.days))
    return table


def _quality_cell(day: DestinationDay) -> Text:
    return _quality_text(day.match_quality)


def _quality_text(value: float | None) -> Text:
    if value is None:
        return Text("–", style="dim")
    style = (
        "bold red" if value < MATCH_QUALITY_WARNING else "green" if value >= MATCH_QUALITY_TARGET[0] else ""
    )
    return Text(fmt.quality(value), style=style)


def _latency_cell(day: DestinationDay) -> Text:
    if day.latency_p95 is None:
        return Text("–", style="dim")
    return Text(f"{fmt.duration(day.latency_p50)} / {fmt.duration(day.latency_p95)}")


def _print_reasons(console: Console, title: str, reasons: tuple[ReasonCounts, ...], report: Report) -> None:
    if not reasons:
        console.print(f"{title}: none in this period.")
        return
    table = _day_columns(report, title)
    table.columns[0].header = "reason"
    table.add_column("total", justify="right", style="bold")
    table.add_column("by destination")
    for reason in reasons:
        split = ", ".join(f"{name} {fmt.count(amount)}" for name, amount in reason.by_destination.items())
        table.add_row(
            fmt.reason(reason.reason),
            *(fmt.count(amount) if amount else "·" for amount in reason.per_day),
            fmt.count(reason.total),
            split,
        )
    console.print(table)


def _print_reconciliation(console: Console, report: Report) -> None:
    summary = report.reconciliation
    if summary is None:
        console.print("Reconciliation: not run yet (signalmesh reconcile --crm FILE).")
        return
    table = Table(
        title=Text.assemble(
            "Reconciliation ",
            (summary.result or "n/a", _RESULT_STYLES.get(summary.result, "")),
            f"  {summary.since} – {summary.until}",
        ),
        title_justify="left",
    )
    for column in ("day", "event", "browser", "server", "CRM", "server vs browser", "CRM vs server"):
        table.add_column(column, justify="right" if column in {"browser", "server", "CRM"} else "left")
    for row in summary.rows:
        table.add_row(
            row.day,
            row.event_name,
            "–" if row.browser is None else fmt.count(row.browser),
            "–" if row.server is None else fmt.count(row.server),
            "–" if row.crm is None else fmt.count(row.crm),
            _verdict(row.server_vs_browser_change, row.server_vs_browser),
            _verdict(row.crm_vs_server_change, row.crm_vs_server),
        )
    console.print(table)


def _verdict(change: float | None, result: str) -> Text:
    return Text.assemble(
        f"{fmt.signed_percent(change)} ", (result or "n/a", _RESULT_STYLES.get(result, "dim"))
    )


def _print_alerts(console: Console, report: Report) -> None:
    if not report.alerts:
        console.print("Alerts: none fired in this period.")
        return
    table = Table(title="Alerts, newest first", title_justify="left")
    for column in ("fired", "resolved", "rule", "destination", "severity", "what it said"):
        table.add_column(column)
    for alert in reversed(report.alerts):
        said = alert.message
        if alert.figure or alert.threshold:
            said = f"{said} (figure {alert.figure}, threshold {alert.threshold})".strip()
        table.add_row(
            fmt.moment(alert.fired_at),
            Text("firing", style="bold yellow")
            if alert.resolved_at is None
            else Text(fmt.moment(alert.resolved_at)),
            fmt.reason(alert.rule),
            alert.destination,
            Text(alert.severity, style="bold red" if alert.severity == "critical" else "yellow"),
            said,
        )
    console.print(table)
