"""`make demo` runs `signalmesh demo`: the mesh as processes, sample events, a decision table."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_shows_every_decision_the_product_makes():
    result = subprocess.run(
        [sys.executable, "-m", "signalmesh.cli", "demo"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {
        tuple(cell.strip() for cell in line.split("│")[2:7])
        for line in result.stdout.splitlines()
        if line.startswith("│")
    }
    assert ("order-1001", "purchase after an ad click", "meta_strict", "SEND", "eligible") in rows
    assert ("order-1002", "organic purchase (no click id)", "meta_strict", "SKIP", "missing_click_id") in rows
    assert ("order-1002", "organic purchase (no click id)", "meta_send_all", "SEND", "eligible") in rows
    assert (
        "lead-2001",
        "lead with only city + country",
        "meta_send_all",
        "SKIP",
        "insufficient_user_data",
    ) in rows
    assert ("order-0999", "purchase 10 days old", "meta_strict", "SKIP", "too_old") in rows
    assert (
        "order-1001",
        "the first purchase again (duplicate)",
        "meta_send_all",
        "SKIP",
        "duplicate",
    ) in rows
    assert ("order-1003", "invalid purchase", "—", "REJECTED", "invalid") in rows
    assert re.search(r"#5 value: '\$29\.99' is not a decimal number: send 29\.99", result.stdout)
    assert "SendEvent(invalid) → INVALID_ARGUMENT with 3 field violations" in result.stdout
    delivered = [line for line in result.stdout.splitlines() if "│ delivered" in line]
    assert len(delivered) == 3  # order-1001 on both pixels, order-1002 on send_all
    assert "Sandbox recorded: {'pixel 1111111111': 1, 'pixel 2222222222': 2}" in result.stdout
