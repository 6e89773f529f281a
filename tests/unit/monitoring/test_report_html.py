"""The HTML report: one self-contained page, every chart present, nothing unescaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from signalmesh.monitoring.history import DELIVERED, HOUR, LIVE, REFUSED, SKIPPED, BucketKey, HistoryRow
from signalmesh.monitoring.report_data import Report, build_report
from signalmesh.monitoring.report_html import render_html
from signalmesh.store.base import AlertRecord

from tests.support.report_history import SAMPLE_NOW, TODAY, sample_history

CHARTS = {"delivered", "refusals", "skip_reasons", "match_quality", "latency", "reconciliation", "alerts"}
HOSTILE = '<script>alert("x")</script>&"\'><img src=x onerror=alert(1)>'


class _Page(HTMLParser):
    """Tags and attributes as a browser's parser sees them, and each chart's own elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.charts: dict[str, dict[str, str | None]] = {}
        self.chart_children: dict[str, list[str]] = {}
        self.text: list[str] = []
        self._open_chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "svg" and attributes.get("data-chart"):
            self._open_chart = attributes["data-chart"] or ""
            self.charts[self._open_chart] = attributes
            self.chart_children[self._open_chart] = []
        elif self._open_chart is not None:
            self.chart_children[self._open_chart].append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._open_chart = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def _sample_report() -> Report:
    sample = sample_history()
    return build_report(sample.daily, sample.hourly, sample.alerts, sample.reconciliation, 7, sample.now)


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = render_html(_sample_report())
    parsed = _parse(page)
    tags = {tag for tag, _ in parsed.tags}
    assert "link" not in tags and "script" not in tags and "iframe" not in tags and "img" not in tags
    for tag, attributes in parsed.tags:
        for name in ("src", "href", "xlink:href", "srcset", "action"):
            assert name not in attributes, f"<{tag} {name}=…> would fetch something"
    assert not re.search(r"https?://", page), "no address of any kind on the page"
    assert "@import" not in page and "url(" not in page and "@font-face" not in page


def test_every_chart_is_an_svg_with_a_title_and_an_accessible_name() -> None:
    parsed = _parse(render_html(_sample_report()))
    assert set(parsed.charts) == CHARTS
    for name, attributes in parsed.charts.items():
        assert attributes.get("role") == "img"
        assert attributes.get("aria-labelledby") == f"chart-{name}-title chart-{name}-desc"
        assert "data-empty" not in attributes, f"{name} has data and must draw it"
        children = parsed.chart_children[name]
        assert children[:2] == ["title", "desc"]
        assert {"rect", "path", "circle", "line"} & set(children), f"{name} drew no marks"


def test_the_charts_draw_what_the_history_says() -> None:
    page = render_html(_sample_report())
    delivered = page[
        page.index('data-chart="delivered"') : page.index("</svg>", page.index('data-chart="delivered"'))
    ]
    assert delivered.count('class="bar drop"') == 1  # meta-main's drop day, and only it
    assert delivered.count('class="bar partial"') == 3  # today, one per destination
    assert delivered.count('class="baseline"') == 3
    quality = page[page.index('data-chart="match_quality"') :]
    assert quality.count('class="dot below"') == 3  # tiktok's last three days under 6.0
    assert 'class="target-band"' in quality and 'class="warning-line"' in quality
    assert "1 alert firing" in page
    assert page.count('class="badge warn">WARN') >= 1 and 'class="badge pass">PASS' in page


def test_an_empty_report_says_so_in_every_chart() -> None:
    page = render_html(build_report([], [], [], None, 7, SAMPLE_NOW))
    parsed = _parse(page)
    assert set(parsed.charts) == CHARTS
    for name, attributes in parsed.charts.items():
        assert attributes.get("data-empty") == "true", name
        assert "text" in parsed.chart_children[name]
    text = " ".join(parsed.text)
    assert "No events delivered in this period yet." in text
    assert "No reconciliation yet" in text
    assert "No alert fired in this period." in text
    assert "No alert firing" in text


def test_hostile_names_reach_the_page_only_as_text() -> None:
    rows = [
        HistoryRow(
            BucketKey(TODAY, HOSTILE, HOSTILE, LIVE),
            {DELIVERED: 10, SKIPPED + HOSTILE: 2, REFUSED + HOSTILE: 1},
        )
    ]
    alerts = [
        AlertRecord(
            f"volume_drop:{HOSTILE}",
            HOSTILE,
            HOSTILE,
            "firing",
            HOSTILE,
            fired_at=SAMPLE_NOW - HOUR,
            details=json.dumps({"message": HOSTILE, "figure": HOSTILE, "threshold": HOSTILE}),
        )
    ]
    reconciliation = {
        "result": HOSTILE,
        "since": HOSTILE,
        "until": HOSTILE,
        "days": [{"day": HOSTILE, "event_name": HOSTILE, "server_vs_browser": {"result": HOSTILE}}],
    }
    page = render_html(build_report(rows, [], alerts, reconciliation, 7, SAMPLE_NOW))
    parsed = _parse(page)
    assert "<script" not in page and "<img" not in page
    assert not [tag for tag, _ in parsed.tags if tag in {"script", "img"}]
    assert not any(name.startswith("on") for _, attributes in parsed.tags for name in attributes)
    text = "".join(parsed.text)
    assert HOSTILE in text, "the name is still shown, as text"
    assert set(parsed.charts) == CHARTS
