"""The frame every report chart shares: one ``<svg data-chart>`` with a title and description,
text and lines in the page's classes, native tooltips, and columns aligned across charts (so a
day sits at the same x in every chart of the page). All text is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from signalmesh.monitoring import report_format as fmt
from signalmesh.monitoring.report_data import Report

WIDTH = 960
LEFT = 150  # room for a destination's name beside its panel
RIGHT = 96  # room for a threshold's label beside the plot
# Distinguishable for common colour blindness, and calm on white.
SERIES_COLOURS = ("#3563d9", "#0e9f8e", "#8b5bd6", "#e0841a", "#d2417a", "#5b8f22", "#1f9fc9", "#99683c")


def destination_colours(report: Report) -> dict[str, str]:
    """One colour per destination, stable across every chart of the page."""
    return {
        destination.destination: SERIES_COLOURS[index % len(SERIES_COLOURS)]
        for index, destination in enumerate(report.destinations)
    }


# --- frame ---------------------------------------------------------------------------------
def frame(name: str, title: str, description: str, height: float, body: Sequence[str]) -> str:
    return (
        f'<svg data-chart="{escape(name)}" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="chart-{escape(name)}-title chart-{escape(name)}-desc">'
        f'<title id="chart-{escape(name)}-title">{escape(title)}</title>'
        f'<desc id="chart-{escape(name)}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def empty_chart(name: str, title: str, message: str) -> str:
    """A chart with nothing to draw says why, instead of showing empty axes."""
    body = [
        f'<rect class="empty-frame" x="1" y="1" width="{WIDTH - 2}" height="118" rx="10"/>',
        f'<text class="empty-text" x="{WIDTH / 2}" y="66" text-anchor="middle">{escape(message)}</text>',
    ]
    return frame(name, title, message, 120, body).replace("<svg ", '<svg data-empty="true" ', 1)


def svg_text(
    x: float, y: float, content: str, css: str = "label", anchor: str = "start", extra: str = ""
) -> str:
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'
    )


def hline(css: str, y: float, x1: float = LEFT, x2: float = WIDTH - RIGHT) -> str:
    return f'<line class="{css}" x1="{x1:.1f}" x2="{x2:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'


def vline(css: str, x: float, y1: float, y2: float) -> str:
    return f'<line class="{css}" x1="{x:.1f}" x2="{x:.1f}" y1="{y1:.1f}" y2="{y2:.1f}"/>'


def tooltip(content: str) -> str:
    """A native tooltip: hovering a bar or a dot tells its figure."""
    return f"<title>{escape(content)}</title>"


def columns(days: int) -> tuple[float, float]:
    """Slot width and the x of the first slot for ``days`` columns."""
    return (WIDTH - LEFT - RIGHT) / max(days, 1), float(LEFT)


def day_chart(
    name: str, title: str, description: str, report: Report, body: Sequence[str], axis_y: float
) -> str:
    """A chart over the report's days: ``body``, then the day labels along ``axis_y``, framed 6
    below them so every day chart ends the same way."""
    return frame(name, title, description, axis_y + 6, [*body, *day_axis(report, axis_y)])


def day_axis(report: Report, y: float) -> list[str]:
    slot, start = columns(len(report.days))
    parts = []
    for index, day in enumerate(report.days):
        label = "today" if index == len(report.days) - 1 else fmt.day_label(day)
        parts.append(svg_text(start + slot * (index + 0.5), y, label, "axis", "middle"))
    return parts
