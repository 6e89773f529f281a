"""The report's charts as inline SVG, drawn in Python from a ``Report``.

No charting library and no script: the page must open offline years later and look the same
(DESIGN §11). Each chart is one ``<svg data-chart="name">`` with a title and description for
screen readers, and says so in words when it has nothing to draw. Every piece of text passes
through ``html.escape``: destination names and reasons come from configuration and platforms.
Styling lives in the page's CSS (``report_style``), series colours in attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from signalmesh.monitoring import report_format as fmt
from signalmesh.monitoring.history import DAY, HOUR
from signalmesh.monitoring.report_data import (
    MATCH_QUALITY_TARGET,
    MATCH_QUALITY_WARNING,
    DestinationDay,
    ReasonCounts,
    Report,
)
from signalmesh.monitoring.report_documents import ReconciliationSummary
from signalmesh.monitoring.report_svg import (
    RIGHT,
    WIDTH,
    columns,
    day_chart,
    destination_colours,
    empty_chart,
    frame,
    hline,
    svg_text,
    tooltip,
    vline,
)

REASON_COLOURS = ("#d9483b", "#ef8a2a", "#c9a21f", "#9d5bc4", "#5d7a99", "#2f9e8f", "#b0567a")
# The latency alert's lines: p95 over an hour warns, over a day is critical.
LATENCY_WARNING = HOUR
LATENCY_CRITICAL = DAY


# --- delivered per destination per day, against the 7-day baseline ---------------------------
PANEL = 104
PANEL_GAP = 22


def delivered_chart(report: Report) -> str:
    name, title = "delivered", "Delivered per destination per day"
    if not report.has_history:
        return empty_chart(name, title, "No events delivered in this period yet.")
    colours = destination_colours(report)
    slot, start = columns(len(report.days))
    bar = slot * 0.54
    body: list[str] = []
    for row, destination in enumerate(report.destinations):
        top = 8 + row * (PANEL + PANEL_GAP)
        plot_top, plot_bottom = top + 20, top + PANEL - 6
        peak = max(
            [day.delivered for day in destination.days] + [day.baseline or 0 for day in destination.days]
        )
        scale = (plot_bottom - plot_top) / (peak or 1)
        body.append(svg_text(0, top + 40, destination.destination, "series-name"))
        body.append(svg_text(0, top + 60, f"{fmt.count(destination.delivered)} delivered", "muted"))
        body.append(hline("baseline-axis", plot_bottom))
        for index, day in enumerate(destination.days):
            height = day.delivered * scale
            x = start + slot * index + (slot - bar) / 2
            flag = day.volume_flag
            css = "bar partial" if day.partial else f"bar {flag}".strip()
            fill = "" if flag else f' fill="{colours[destination.destination]}"'
            tip = f"{destination.destination}, {fmt.date(day.day)}: {fmt.count(day.delivered)} delivered"
            if day.baseline is not None:
                tip += f" (7-day baseline {fmt.count(day.baseline)})"
            body.append(
                f'<rect class="{css}"{fill} x="{x:.1f}" y="{plot_bottom - height:.1f}" width="{bar:.1f}" '
                f'height="{max(height, 0.5):.1f}" rx="3">{tooltip(tip)}</rect>'
            )
            label = fmt.compact(day.delivered)
            label_css = "value"
            if flag and day.baseline:
                label = f"{label} · {fmt.signed_percent(day.delivered / day.baseline - 1)}"
                label_css = f"value {flag}"
            body.append(svg_text(x + bar / 2, plot_bottom - height - 6, label, label_css, "middle"))
        body.append(_baseline_path(destination.days, start, slot, plot_bottom, scale))
        last_baseline = destination.days[-1].baseline
        if last_baseline is not None:
            y = plot_bottom - last_baseline * scale
            body.append(
                svg_text(WIDTH - RIGHT + 10, y + 4, f"baseline {fmt.compact(last_baseline)}", "muted")
            )
    description = (
        "Columns are each destination's delivered events per UTC day; the dashed line is the mean of "
        "the previous 7 days. Red columns fell below half of it."
    )
    axis_y = 4 + len(report.destinations) * (PANEL + PANEL_GAP)
    return day_chart(name, title, description, report, body, axis_y)


def _baseline_path(
    days: Sequence[DestinationDay], start: float, slot: float, bottom: float, scale: float
) -> str:
    """The baseline as a step per day, broken where a day has none."""
    commands: list[str] = []
    pen_down = False
    for index, day in enumerate(days):
        baseline = day.baseline
        if baseline is None:
            pen_down = False
            continue
        y = bottom - baseline * scale
        left, right = start + slot * index + 4, start + slot * (index + 1) - 4
        commands.append(f"{'L' if pen_down else 'M'}{left:.1f},{y:.1f} H{right:.1f}")
        pen_down = True
    return f'<path class="baseline" d="{" ".join(commands)}"/>' if commands else ""


# --- skip reasons ----------------------------------------------------------------------------
def skip_chart(report: Report) -> str:
    name, title = "skip_reasons", "Skipped by policy, by reason"
    if not report.skip_reasons:
        return empty_chart(name, title, "Nothing was skipped in this period.")
    colours = destination_colours(report)
    return _horizontal_bars(name, title, report.skip_reasons, colours, "skipped")


def _horizontal_bars(
    name: str, title: str, reasons: Sequence[ReasonCounts], colours: dict[str, str], verb: str
) -> str:
    row_height, bar_height, left = 34, 18, 190
    peak = max(reason.total for reason in reasons) or 1
    plot = WIDTH - left - 90
    body: list[str] = []
    for index, reason in enumerate(reasons):
        y = 6 + index * row_height
        body.append(svg_text(0, y + 13, fmt.reason(reason.reason), "series-name"))
        x = float(left)
        for destination, amount in reason.by_destination.items():
            width = amount / peak * plot
            colour = colours.get(destination, "#8a94a6")
            tip = f"{fmt.reason(reason.reason)} at {destination}: {fmt.count(amount)} {verb}"
            body.append(
                f'<rect class="segment" fill="{colour}" x="{x:.1f}" y="{y}" width="{max(width, 0.5):.1f}" '
                f'height="{bar_height}" rx="2">{tooltip(tip)}</rect>'
            )
            x += width
        body.append(svg_text(x + 8, y + 13, fmt.count(reason.total), "value strong"))
    description = f"Total {verb} per reason over the period, split by destination."
    return frame(name, title, description, 6 + len(reasons) * row_height, body)


# --- refusals by reason, per day -------------------------------------------------------------
def refusal_chart(report: Report) -> str:
    name, title = "refusals", "Refused by the platforms, by reason"
    if not report.refusals:
        return empty_chart(name, title, "No platform refused an event in this period.")
    slot, start = columns(len(report.days))
    bar, top, bottom = slot * 0.54, 22, 170
    per_day = [sum(reason.per_day[index] for reason in report.refusals) for index in range(len(report.days))]
    scale = (bottom - top) / (max(per_day) or 1)
    body = [
        svg_text(0, 40, fmt.count(report.refused), "series-name big"),
        svg_text(0, 60, f"refused · {fmt.percent(report.refusal_rate)} of attempts", "muted"),
        hline("baseline-axis", bottom),
    ]
    for index, day in enumerate(report.days):
        x, y = start + slot * index + (slot - bar) / 2, float(bottom)
        for colour_index, reason in enumerate(report.refusals):
            amount = reason.per_day[index]
            if not amount:
                continue
            height = amount * scale
            y -= height
            colour = REASON_COLOURS[colour_index % len(REASON_COLOURS)]
            tip = f"{fmt.date(day)}: {fmt.count(amount)} refused, {fmt.reason(reason.reason)}"
            body.append(
                f'<rect class="segment" fill="{colour}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}">{tooltip(tip)}</rect>'
            )
        if per_day[index]:
            body.append(svg_text(x + bar / 2, y - 6, fmt.compact(per_day[index]), "value", "middle"))
    description = "Events the platforms refused (4xx class) per UTC day, stacked by the platform's reason."
    return day_chart(name, title, description, report, body, bottom + 20)


def refusal_legend(report: Report) -> list[tuple[str, str]]:
    """(colour, label) per refusal reason, in the chart's stacking order."""
    return [
        (
            REASON_COLOURS[index % len(REASON_COLOURS)],
            f"{fmt.reason(reason.reason)} · {fmt.count(reason.total)}",
        )
        for index, reason in enumerate(report.refusals)
    ]


# --- match quality ---------------------------------------------------------------------------
def match_quality_chart(report: Report) -> str:
    name, title = "match_quality", "Estimated match quality per destination per day"
    values = [
        day.match_quality for d in report.destinations for day in d.days if day.match_quality is not None
    ]
    if not values:
        return empty_chart(name, title, "No destination reported a match quality in this period.")
    low = min(4.0, math.floor(min(values)))
    top, bottom, high = 16, 236, 10.0
    slot, start = columns(len(report.days))

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    band_low, band_high = MATCH_QUALITY_TARGET
    body = [
        f'<rect class="target-band" x="{start}" y="{y_of(band_high):.1f}" width="{WIDTH - RIGHT - start}" '
        f'height="{y_of(band_low) - y_of(band_high):.1f}"/>',
        svg_text(WIDTH - RIGHT + 10, (y_of(band_high) + y_of(band_low)) / 2 - 2, "target", "band-label"),
        svg_text(
            WIDTH - RIGHT + 10,
            (y_of(band_high) + y_of(band_low)) / 2 + 12,
            f"{band_low:g}–{band_high:g}",
            "band-label",
        ),
    ]
    for tick in range(int(low), int(high) + 1):
        body.append(hline("grid", y_of(tick)))
        body.append(svg_text(start - 10, y_of(tick) + 4, str(tick), "axis", "end"))
    warning_y = y_of(MATCH_QUALITY_WARNING)
    body.append(hline("warning-line", warning_y))
    body.append(
        svg_text(WIDTH - RIGHT + 10, warning_y + 4, f"warning {MATCH_QUALITY_WARNING:g}", "warning-label")
    )
    colours = destination_colours(report)
    for destination in report.destinations:
        colour = colours[destination.destination]
        points = [
            (start + slot * (index + 0.5), y_of(day.match_quality), day)
            for index, day in enumerate(destination.days)
            if day.match_quality is not None
        ]
        if not points:
            continue
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _) in enumerate(points))
        body.append(f'<path class="series" stroke="{colour}" d="{path}"/>')
        for x, y, day in points:
            below = (day.match_quality or 0) < MATCH_QUALITY_WARNING
            tip = f"{destination.destination}, {fmt.date(day.day)}: {fmt.quality(day.match_quality)}"
            body.append(
                f'<circle class="dot{" below" if below else ""}" cx="{x:.1f}" cy="{y:.1f}" r="4.5" '
                f'stroke="{colour}">{tooltip(tip)}</circle>'
            )
    description = (
        "Mean estimated match quality (0–10) per destination per UTC day. The shaded band is the "
        f"{band_low:g}–{band_high:g} target; the red line is the {MATCH_QUALITY_WARNING:g} warning."
    )
    return day_chart(name, title, description, report, body, bottom + 22)


# --- latency p50 / p95 -----------------------------------------------------------------------
LATENCY_TICKS = (1.0, 60.0, float(HOUR), float(DAY))
LATENCY_TOP = 21.0 * DAY  # where "past the last bucket" is drawn


def latency_chart(report: Report) -> str:
    name, title = "latency", "Delivery latency per destination per day (p50 – p95)"
    if not any(day.latency_p95 is not None for d in report.destinations for day in d.days):
        return empty_chart(name, title, "No delivery latency was recorded in this period.")
    slot, start = columns(len(report.days))
    colours = destination_colours(report)
    panel, gap = 124, 22
    body: list[str] = []
    for row, destination in enumerate(report.destinations):
        top = 10 + row * (panel + gap)
        plot_top, plot_bottom = top + 4, top + panel - 6

        def y_of(seconds: float, plot_top: float = plot_top, plot_bottom: float = plot_bottom) -> float:
            value = LATENCY_TOP if math.isinf(seconds) else min(max(seconds, 1.0), LATENCY_TOP)
            return plot_bottom - math.log(value) / math.log(LATENCY_TOP) * (plot_bottom - plot_top)

        body.append(svg_text(0, top + 34, destination.destination, "series-name"))
        body.append(svg_text(0, top + 54, f"p95 {fmt.duration(destination.latency_p95)}", "muted"))
        for tick in LATENCY_TICKS:
            y = y_of(tick)
            body.append(hline("grid", y))
            body.append(svg_text(start - 10, y + 4, fmt.duration(tick), "axis", "end"))
        for threshold, css, label in (
            (LATENCY_WARNING, "latency-warning", "warning"),
            (LATENCY_CRITICAL, "latency-critical", "critical"),
        ):
            y = y_of(threshold)
            body.append(hline(css, y))
            body.append(svg_text(WIDTH - RIGHT + 10, y + 4, label, f"{css}-label"))
        colour = colours[destination.destination]
        for index, day in enumerate(destination.days):
            if day.latency_p50 is None or day.latency_p95 is None:
                continue
            x = start + slot * (index + 0.5)
            y50, y95 = y_of(day.latency_p50), y_of(day.latency_p95)
            level = (
                " critical"
                if day.latency_p95 > LATENCY_CRITICAL
                else " warning"
                if day.latency_p95 > LATENCY_WARNING
                else ""
            )
            tip = (
                f"{destination.destination}, {fmt.date(day.day)}: p50 ≤ {fmt.duration(day.latency_p50)}, "
                f"p95 ≤ {fmt.duration(day.latency_p95)}"
            )
            body.append(
                f'<g class="latency-day{level}">{tooltip(tip)}'
                f'<g stroke="{colour}">{vline("range", x, y50, y95)}</g>'
                f'<circle class="p50" fill="{colour}" cx="{x:.1f}" cy="{y50:.1f}" r="4"/>'
                f'<circle class="p95" stroke="{colour}" cx="{x:.1f}" cy="{y95:.1f}" r="5.5"/>'
                f"{svg_text(x + 10, y95 + 4, fmt.duration(day.latency_p95), 'value')}</g>"
            )
    description = (
        "From the event's time to the platform's acceptance: the filled dot is the median (p50), the "
        "ring the 95th percentile, on a logarithmic scale; amber and red lines mark 1 h and 24 h."
    )
    return day_chart(name, title, description, report, body, 6 + len(report.destinations) * (panel + gap))


# --- reconciliation: the three layers --------------------------------------------------------
def reconciliation_chart(summary: ReconciliationSummary | None) -> str:
    name, title = "reconciliation", "Browser, server and CRM layers"
    if summary is None or not summary.rows:
        return empty_chart(name, title, "No reconciliation yet: run signalmesh reconcile --crm FILE.")
    layers = [
        ("browser", "Browser (pixel / tag)", sum(row.browser or 0 for row in summary.rows)),
        ("server", "Server (delivered)", sum(row.server or 0 for row in summary.rows)),
        ("crm", "CRM (recorded)", sum(row.crm or 0 for row in summary.rows)),
    ]
    peak = max(total for _, _, total in layers) or 1
    left, plot, row_height = 190, WIDTH - 190 - 120, 40
    body: list[str] = []
    for index, (css, label, total) in enumerate(layers):
        y = 6 + index * row_height
        width = total / peak * plot
        body.append(svg_text(0, y + 17, label, "series-name"))
        body.append(
            f'<rect class="layer {css}" x="{left}" y="{y}" width="{max(width, 0.5):.1f}" height="24" rx="4">'
            f"{tooltip(f'{label}: {fmt.count(total)}')}</rect>"
        )
        body.append(svg_text(left + width + 10, y + 17, fmt.count(total), "value strong"))
    description = "Events counted in each layer over the reconciliation's days."
    return frame(name, title, description, 6 + 3 * row_height, body)


# --- alert timeline --------------------------------------------------------------------------
def alert_timeline_chart(report: Report) -> str:
    name, title = "alerts", "Alert timeline"
    if not report.alerts:
        return empty_chart(name, title, "No alert fired in this period.")
    slot, start = columns(len(report.days))
    window_start, window_end = report.days[0], report.days[-1] + DAY
    width = WIDTH - RIGHT - start

    def x_of(moment: float) -> float:
        return (
            start
            + (min(max(moment, window_start), window_end) - window_start)
            / (window_end - window_start)
            * width
        )

    lane = 30
    height = 8 + len(report.alerts) * lane
    body = [vline("grid", start + slot * index, 0, height) for index in range(len(report.days) + 1)]
    body.append(vline("now", x_of(report.generated_at), 0, height))
    body.append(svg_text(x_of(report.generated_at) + 6, 10, "now", "axis"))
    for index, alert in enumerate(report.alerts):
        y = 8 + index * lane
        body.append(
            svg_text(0, y + 15, f"{fmt.reason(alert.rule)} · {alert.destination}", "series-name small")
        )
        left = x_of(alert.fired_at)
        right = x_of(alert.resolved_at if alert.resolved_at is not None else report.generated_at)
        state = "firing" if alert.firing else "resolved"
        ended = (
            f"resolved {fmt.moment(alert.resolved_at)}" if alert.resolved_at is not None else "still firing"
        )
        tip = f"{alert.rule} at {alert.destination} ({alert.severity}): "
        tip += f"fired {fmt.moment(alert.fired_at)}, {ended}"
        if alert.message:
            tip += f" — {alert.message}"
        body.append(
            f'<rect class="alert-span {escape(alert.severity)} {state}" x="{left:.1f}" y="{y + 2}" '
            f'width="{max(right - left, 6):.1f}" height="18" rx="9">{tooltip(tip)}</rect>'
        )
    description = "Each alert as a bar from when it fired to when it resolved; open bars are still firing."
    return day_chart(name, title, description, report, body, height + 18)
