"""`signalmesh report --html FILE`: one self-contained page a team opens instead of a dashboard.

Everything is inline — CSS, SVG charts (``report_charts``), no script, no font or image from
elsewhere — so the file can be mailed, attached to a ticket or opened offline (DESIGN §11).
All text is escaped here or in the charts; nothing from the report is trusted as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from signalmesh.monitoring import report_charts as charts
from signalmesh.monitoring import report_format as fmt
from signalmesh.monitoring.report_data import (
    MATCH_QUALITY_TARGET,
    MATCH_QUALITY_WARNING,
    Report,
)
from signalmesh.monitoring.report_documents import AlertEntry, ReconciliationSummary
from signalmesh.monitoring.report_style import STYLE
from signalmesh.monitoring.report_svg import destination_colours


def render_html(report: Report) -> str:
    """The whole page as one string, ready to write to a file."""
    period = f"{fmt.date(report.days[0])} – {fmt.date(report.days[-1])}"
    sections = [
        _header(report, period),
        _kpis(report),
        _destinations(report),
        _card(
            "Delivered against the 7-day baseline",
            "Each destination's delivered events per UTC day. The dashed line is the mean of the previous "
            "seven days; a red column fell below half of it, the volume-drop alert's threshold.",
            charts.delivered_chart(report),
            _legend(
                [
                    ("swatch", "delivered"),
                    ("swatch-baseline", "7-day baseline"),
                    ("swatch-drop", "below 50 % of baseline"),
                    ("swatch-partial", "today, so far"),
                ]
            ),
        ),
        _card(
            "Refusals by reason",
            "Events a platform refused outright (4xx class) — a refused event is a lost conversion until "
            "someone fixes its cause.",
            charts.refusal_chart(report),
            _colour_legend(charts.refusal_legend(report)),
        ),
        _card(
            "Skip reasons",
            "Events the policy decided not to send, and why. Skips are deliberate; a sudden new reason "
            "is not.",
            charts.skip_chart(report),
            _colour_legend(_destination_legend(report)),
        ),
        _card(
            "Match quality",
            f"The platforms' estimate of how well events match their users (0–10). Aim for the "
            f"{MATCH_QUALITY_TARGET[0]:g}–{MATCH_QUALITY_TARGET[1]:g} band; below {MATCH_QUALITY_WARNING:g} "
            "the match-quality alert fires.",
            charts.match_quality_chart(report),
            _colour_legend(_destination_legend(report)),
        ),
        _card(
            "Delivery latency",
            "Time from the event to the platform's acceptance, as histogram bucket bounds (p95 ≤ 1 h "
            "means 95 % of events arrived within the hour). Late conversions optimise nothing.",
            charts.latency_chart(report),
            _legend(
                [
                    ("swatch-p50", "median (p50)"),
                    ("swatch-p95", "95th percentile"),
                    ("swatch-warning", "1 h warning"),
                    ("swatch-critical", "24 h critical"),
                ]
            ),
        ),
        _reconciliation(report.reconciliation),
        _alerts(report),
        f"<footer>SignalMesh signal report · {escape(period)} (UTC) · generated "
        f"{escape(fmt.moment(report.generated_at))} · this page needs no network</footer>",
    ]
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SignalMesh report · {escape(period)}</title>"
        f"<style>{STYLE}</style></head>"
        f'<body><main class="page">{"".join(sections)}</main></body></html>\n'
    )


def _header(report: Report, period: str) -> str:
    firing = report.firing_alerts
    if firing:
        names = ", ".join(f"{fmt.reason(alert.rule)} at {alert.destination}" for alert in firing)
        status = (
            f'<p class="status status-firing"><span class="pulse"></span>{len(firing)} alert'
            f"{'s' if len(firing) > 1 else ''} firing — {escape(names)}</p>"
        )
    else:
        status = '<p class="status status-ok"><span class="pulse"></span>No alert firing</p>'
    return (
        '<header class="masthead"><div class="brand">'
        '<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><circle cx="7" cy="9" r="4"/>'
        '<circle cx="25" cy="7" r="3"/><circle cx="17" cy="24" r="5"/>'
        '<path d="M7 9 L25 7 L17 24 Z"/></svg><span>SignalMesh</span></div>'
        f'<h1>Signal report</h1><p class="period">{len(report.days)} days · {escape(period)} (UTC) · '
        f"generated {escape(fmt.moment(report.generated_at))}</p>{status}</header>"
    )


def _kpis(report: Report) -> str:
    change = report.delivered_vs_baseline
    change_css = "bad" if change is not None and change < -0.1 else "good" if change is not None else ""
    quality = report.match_quality
    quality_css = (
        "bad"
        if quality is not None and quality < MATCH_QUALITY_WARNING
        else "good"
        if quality is not None and quality >= MATCH_QUALITY_TARGET[0]
        else ""
    )
    rate = report.refusal_rate
    p95 = report.latency_p95
    summary = report.reconciliation
    tiles = [
        ("Delivered", fmt.count(report.delivered), f"{fmt.signed_percent(change)} vs baseline", change_css),
        (
            "Match quality",
            fmt.quality(quality),
            f"target {MATCH_QUALITY_TARGET[0]:g}–{MATCH_QUALITY_TARGET[1]:g}",
            quality_css,
        ),
        (
            "Refused",
            fmt.percent(rate),
            f"{fmt.count(report.refused)} events",
            "bad" if rate and rate > 0.05 else "",
        ),
        (
            "Latency p95",
            fmt.duration(p95),
            "event → platform",
            "bad" if p95 is not None and p95 > charts.LATENCY_WARNING else "",
        ),
        (
            "Reconciliation",
            summary.result or "–" if summary else "–",
            f"{fmt.iso_day(summary.since)} – {fmt.iso_day(summary.until)}" if summary else "not run yet",
            "bad"
            if summary and summary.result == "WARN"
            else "good"
            if summary and summary.result == "PASS"
            else "",
        ),
    ]
    return (
        '<section class="kpis">'
        + "".join(
            f'<div class="kpi {css}"><div class="kpi-label">{escape(label)}</div>'
            f'<div class="kpi-value">{escape(value)}</div><div class="kpi-note">{escape(note)}</div></div>'
            for label, value, note, css in tiles
        )
        + "</section>"
    )


def _destinations(report: Report) -> str:
    if not report.destinations:
        return ""
    colours = destination_colours(report)
    rows = []
    for destination in report.destinations:
        rows.append(
            [
                f'<span class="dot-key" style="background:{colours[destination.destination]}"></span>'
                f"{escape(destination.destination)}",
                escape(fmt.count(destination.delivered)),
                escape(fmt.signed_percent(destination.delivered_vs_baseline)),
                escape(fmt.percent(destination.refusal_rate)),
                escape(fmt.quality(destination.match_quality)),
                escape(fmt.duration(destination.latency_p95)),
            ]
        )
    table = _table(
        ["destination", "delivered", "vs baseline", "refused", "match quality", "p95 latency"], rows
    )
    return f'<section class="card"><h2>Destinations</h2>{table}</section>'


def _reconciliation(summary: ReconciliationSummary | None) -> str:
    chart = charts.reconciliation_chart(summary)
    if summary is None:
        return _card("Reconciliation", "Browser, server and CRM counts side by side.", chart)
    rows = [
        [
            escape(row.day),
            escape(row.event_name),
            escape(_optional_count(row.browser)),
            escape(_optional_count(row.server)),
            escape(_optional_count(row.crm)),
            f"{escape(fmt.signed_percent(row.server_vs_browser_change))} {_badge(row.server_vs_browser)}",
            f"{escape(fmt.signed_percent(row.crm_vs_server_change))} {_badge(row.crm_vs_server)}",
        ]
        for row in summary.rows
    ]
    table = _table(["day", "event", "browser", "server", "CRM", "server vs browser", "CRM vs server"], rows)
    title = f"Reconciliation {_badge(summary.result)}"
    note = (
        f"The latest three-layer check, {escape(summary.since)} – {escape(summary.until)}. Tolerances: "
        "server within 5 % of the browser, CRM within 10 % of the server."
    )
    return (
        f'<section class="card"><h2>{title}</h2><p class="note">{note}</p>'
        f'<div class="chart-frame">{chart}</div>{table}</section>'
    )


def _alerts(report: Report) -> str:
    chart = charts.alert_timeline_chart(report)
    rows = [_alert_row(alert) for alert in reversed(report.alerts)]
    table = (
        _table(["fired", "resolved", "rule", "destination", "severity", "what it said"], rows) if rows else ""
    )
    return (
        '<section class="card"><h2>Alert timeline</h2><p class="note">Each alert from firing to resolved, '
        f'newest first in the table.</p><div class="chart-frame">{chart}</div>{table}</section>'
    )


def _alert_row(alert: AlertEntry) -> list[str]:
    said = alert.message
    if alert.figure or alert.threshold:
        said = f"{said} (figure {alert.figure}, threshold {alert.threshold})".strip()
    resolved = (
        _moment(alert.resolved_at)
        if alert.resolved_at is not None
        else '<span class="badge warn">firing</span>'
    )
    severity = "crit" if alert.severity == "critical" else "warn"
    return [
        _moment(alert.fired_at),
        resolved,
        escape(fmt.reason(alert.rule)),
        escape(alert.destination),
        f'<span class="badge {severity}">{escape(alert.severity)}</span>',
        escape(said),
    ]


# --- building blocks -----------------------------------------------------------------------
def _card(title: str, note: str, chart: str, legend: str = "") -> str:
    return (
        f'<section class="card"><h2>{escape(title)}</h2><p class="note">{escape(note)}</p>'
        f'{legend}<div class="chart-frame">{chart}</div></section>'
    )


def _legend(items: Iterable[tuple[str, str]]) -> str:
    return (
        '<ul class="legend">'
        + "".join(f'<li><span class="{escape(css)}"></span>{escape(label)}</li>' for css, label in items)
        + "</ul>"
    )


def _colour_legend(items: Iterable[tuple[str, str]]) -> str:
    return (
        '<ul class="legend">'
        + "".join(
            f'<li><span class="swatch" style="background:{escape(colour)}"></span>{escape(label)}</li>'
            for colour, label in items
        )
        + "</ul>"
    )


def _destination_legend(report: Report) -> list[tuple[str, str]]:
    return [(colour, name) for name, colour in destination_colours(report).items()]


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Cells are markup already escaped by the caller (some carry badges)."""
    head = "".join(f"<th>{escape(heading)}</th>" for heading in headings)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f'<div class="table-frame"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def _badge(result: str) -> str:
    css = {"PASS": "pass", "WARN": "warn"}.get(result, "unknown")
    return f'<span class="badge {css}">{escape(result or "n/a")}</span>'


def _moment(epoch_seconds: float) -> str:
    return f'<span class="nowrap">{escape(fmt.moment(epoch_seconds))}</span>'


def _optional_count(value: float | None) -> str:
    return "–" if value is None else fmt.count(value)
