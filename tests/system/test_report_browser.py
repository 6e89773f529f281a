"""The HTML report opened in a real browser: every chart drew, nothing failed, a screenshot kept.

Chromium loads the page from a file as a reader would; the DOM it laid out must hold each
chart's SVG with visible marks, and its console must stay silent. The screenshot lands in
``.artifacts/report.png`` (git-ignored) for a person or CI to look at.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from signalmesh.monitoring.history import DAILY, HOURLY, HistoryDelta
from signalmesh.monitoring.report_data import Report, build_report, history_since
from signalmesh.monitoring.report_html import render_html
from signalmesh.store import SqliteStore

from tests.support.headless_chromium import headless_page
from tests.support.report_history import sample_history

pytestmark = pytest.mark.system

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
CHARTS = {"delivered", "refusals", "skip_reasons", "match_quality", "latency", "reconciliation", "alerts"}

# Per chart: its child count, how many marks it laid out with a visible box, its own box.
DRAWN = """
JSON.stringify([...document.querySelectorAll('svg[data-chart]')].map(svg => {
  const marks = [...svg.querySelectorAll('rect, path, circle, line')];
  const box = svg.getBoundingClientRect();
  return {
    name: svg.dataset.chart,
    empty: svg.dataset.empty === 'true',
    children: svg.childElementCount,
    visible: marks.filter(mark => { const b = mark.getBBox(); return b.width > 0 || b.height > 0; }).length,
    width: box.width,
    height: box.height,
  };
}))
"""


async def report_from_a_real_store(path: Path) -> Report:
    """The known fortnight written to a SQLite store as the mesh writes it (hourly counters),
    rolled up by the store, and read back the way `signalmesh report` reads it."""
    sample = sample_history()
    store = SqliteStore(path)
    try:
        delta = HistoryDelta()
        for row in sample.hourly:
            for name, amount in row.counters.items():
                delta.add(row.key.start, row.key.destination, row.key.event_name, name, amount, row.key.mode)
        await store.add_history(delta, sample.now)
        await store.roll_up_history(sample.now, 35 * 86400, 400 * 86400)
        await store.save_alerts(sample.alerts)
        await store.put_document("reconciliation", json.dumps(sample.reconciliation), sample.now)
        since = history_since(7, sample.now)
        daily = await store.read_history(since, sample.now, resolution=DAILY)
        hourly = await store.read_history(since, sample.now, resolution=HOURLY)
        document = await store.get_document("reconciliation")
        assert daily and hourly and document is not None
        return build_report(daily, hourly, await store.alerts(), json.loads(document[0]), 7, sample.now)
    finally:
        await store.close()


async def test_every_chart_draws_in_chromium_without_errors(tmp_path: Path) -> None:
    report = await report_from_a_real_store(tmp_path / "state" / "signalmesh.db")
    sample = sample_history()
    assert report == build_report(
        sample.daily, sample.hourly, sample.alerts, sample.reconciliation, 7, sample.now
    )
    page_path = tmp_path / "report.html"
    page_path.write_text(render_html(report), encoding="utf-8")
    screenshot = tmp_path / "report.png"

    async with headless_page(tmp_path / "profile") as page:
        await page.open(page_path.as_uri())
        charts = {chart["name"]: chart for chart in json.loads(await page.evaluate(DRAWN))}
        title = await page.evaluate("document.title")
        await page.screenshot(screenshot)
        errors = page.errors()
        # The error watch itself works: a console error after the checks is seen.
        await page.evaluate("console.error('probe')")
        probe_seen = any("probe" in error for error in page.errors())

    assert title.startswith("SignalMesh report")
    assert set(charts) == CHARTS
    for name, chart in charts.items():
        assert not chart["empty"], f"{name} has data and must not show its empty state"
        assert chart["children"] > 2, f"{name} drew nothing beyond its title"
        assert chart["visible"] > 0, f"{name} laid out no visible mark"
        assert chart["width"] > 900 and chart["height"] > 60, f"{name} is {chart['width']}×{chart['height']}"
    assert errors == []
    assert probe_seen
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, ARTIFACTS / "report.png")
    shutil.copyfile(page_path, ARTIFACTS / "report.html")


async def test_an_empty_report_opens_and_says_so_in_chromium(tmp_path: Path) -> None:
    sample = sample_history()
    page_path = tmp_path / "empty.html"
    page_path.write_text(render_html(build_report([], [], [], None, 7, sample.now)), encoding="utf-8")
    async with headless_page(tmp_path / "profile") as page:
        await page.open(page_path.as_uri())
        empty = await page.evaluate(
            "document.querySelectorAll('svg[data-chart][data-empty=\"true\"]').length"
        )
        text = await page.evaluate("document.body.innerText")
        errors = page.errors()
    assert empty == len(CHARTS)
    assert "No events delivered in this period yet." in text
    assert errors == []
