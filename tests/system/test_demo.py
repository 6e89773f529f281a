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
    # Too old for Meta (7 days) is not too old for the CRM webhook (30 days): skipped per destination.
    assert ("order-0999", "purchase 10 days old", "crm", "SEND", "eligible") in rows
    # Strict: TikTok needs its click id; GA4 needs only its client id, which the organic purchase has.
    assert ("order-1001", "purchase after an ad click", "tiktok", "SEND", "eligible") in rows
    assert ("order-1002", "organic purchase (no click id)", "tiktok", "SKIP", "missing_click_id") in rows
    assert ("order-1002", "organic purchase (no click id)", "ga4", "SEND", "eligible") in rows
    # The seed's bug: a Purchase on a failed payment is refused by the tracking plan.
    assert ("order-1004", "purchase fired on a failed payment", "—", "REJECTED", "invalid") in rows
    assert (
        "#6 custom_properties.payment_status: is 'failed' but Purchase requires 'succeeded'" in result.stdout
    )
    assert (
        "order-1001",
        "the first purchase again (duplicate)",
        "meta_send_all",
        "SKIP",
        "duplicate",
    ) in rows
    assert ("order-1003", "invalid purchase", "—", "REJECTED", "invalid") in rows
    assert re.search(r"#5 value: '\$29\.99' is not a decimal number: send 29\.99", result.stdout)
    assert "SendEvent(invalid) → INVALID_ARGUMENT with 2 field violations" in result.stdout
    delivered = [line for line in result.stdout.splitlines() if "│ delivered" in line]
    # order-1001 everywhere (5), order-1002 on meta_send_all, ga4 and crm (3), order-0999 on crm (1)
    assert len(delivered) == 9
    assert (
        "Sandbox recorded: {'meta_strict': 1, 'meta_send_all': 2, 'tiktok': 1, 'ga4': 2, 'crm': 3}"
        in result.stdout
    )
    # It ends by reconciling the three layers against its CRM export, and with the alerts.
    ids = {
        tuple(cell.strip() for cell in line.split("│")[1:5])
        for line in result.stdout.split("ids to look up", 1)[1].splitlines()
        if line.startswith("│")
    }
    assert ("Purchase", "server not in crm", "order-1002") in {row[1:] for row in ids}
    assert ("Purchase", "crm not in server", "order-1005") in {row[1:] for row in ids}
    assert ("Purchase", "browser not in server", "order-1004") in {row[1:] for row in ids}
    assert "result: WARN" in result.stdout
    alerts = result.stdout.split("signalmesh alerts", 1)[1]
    assert "│ firing │ warning  │ discrepancy │" in alerts
    # Then Settings > Conversion: meta_strict to send_all, recorded with the client's name, and
    # the organic purchase it skipped goes out when sent again under a new id.
    switch = result.stdout.split("signalmesh strategy set --destination meta_strict send_all", 1)[1]
    assert re.search(r"UTC local set meta_strict: strict → send_all", switch)
    assert "order-1002-again (the organic purchase again) → meta_strict SEND eligible → delivered" in switch
