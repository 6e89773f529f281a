"""Redraw the README's report screenshot from the known sample history:

    .venv/bin/python -m tests.support.report_screenshot docs/report-screenshot.png

The same page and browser as tests/system/test_report_browser.py, so the picture in the README
is what the test checked.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from signalmesh.monitoring.report_data import build_report
from signalmesh.monitoring.report_html import render_html

from tests.support.headless_chromium import headless_page
from tests.support.report_history import sample_history


async def save_screenshot(target: Path) -> None:
    sample = sample_history()
    report = build_report(sample.daily, sample.hourly, sample.alerts, sample.reconciliation, 7, sample.now)
    with tempfile.TemporaryDirectory() as scratch:
        page_path = Path(scratch) / "report.html"
        page_path.write_text(render_html(report), encoding="utf-8")
        async with headless_page(Path(scratch) / "profile") as page:
            await page.open(page_path.as_uri())
            await page.screenshot(target)


if __name__ == "__main__":
    asyncio.run(save_screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report-screenshot.png")))
