"""A ``Reconciliation`` as one documented JSON object (README, "Monitoring" → "`--json`
output"), and the discrepancy alert built from that object.

The object is what ``signalmesh reconcile --json`` prints, what the store keeps as the latest
reconciliation (``put_document("reconciliation", ...)``), what the report draws and what the
alert evaluator reads, so its field names never change meaning. Fractions are numbers in 0–1
(rounded to 4 places); money is a decimal string, never a float.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from signalmesh.monitoring import formatting
from signalmesh.monitoring.findings import DISCREPANCY, RATIO, WARNING, Finding, alert_key
from signalmesh.monitoring.reconciliation import (
    WARN,
    ClickIdShare,
    CurrencyValue,
    DayResult,
    IdList,
    NoClickId,
    Overlap,
    PairCheck,
    Reconciliation,
    Tolerances,
    day_bounds,
)

KIND = "reconciliation"  # the store document's kind
# The pairs as the JSON names them, with the layers they compare (subject, reference).
PAIRS: dict[str, tuple[str, str]] = {
    "server_vs_browser": ("server", "browser"),
    "crm_vs_server": ("crm", "server"),
    "browser_vs_crm": ("browser", "crm"),
}


def to_json(reconciliation: Reconciliation) -> dict[str, Any]:
    tolerances = reconciliation.tolerances
    return {
        "since": _iso(reconciliation.since),
        "until": _iso(reconciliation.until),
        "result": reconciliation.result,
        "tolerances": {
            "server_vs_browser": tolerances.server_vs_browser,
            "crm_vs_server": tolerances.crm_vs_server,
            "browser_vs_crm": tolerances.browser_vs_crm,
        },
        "browser_supplied": reconciliation.browser_supplied,
        "days": [_day(day) for day in reconciliation.days],
        "overlap": {
            "browser": reconciliation.overlap.browser,
            "server": reconciliation.overlap.server,
            "both": reconciliation.overlap.both,
            "share_of_server": _fraction(reconciliation.overlap.share_of_server),
            "share_of_browser": _fraction(reconciliation.overlap.share_of_browser),
            "message": reconciliation.overlap.message,
        },
        "no_click_id": {
            **_click_ids(reconciliation.no_click_id.total),
            "by_destination": {
                name: _click_ids(share) for name, share in reconciliation.no_click_id.by_destination.items()
            },
        },
    }


def from_json(document: Mapping[str, Any]) -> Reconciliation:
    """The inverse of ``to_json``, for rendering a reconciliation the gateway computed (the CLI
    receives the document, never the records). Counts inside pairs are rebuilt from the day."""
    tolerances = Tolerances(**document["tolerances"])
    days = []
    for day in document["days"]:
        pairs = {
            name: PairCheck(
                subject=day[subject],
                reference=day[reference],
                tolerance=day[name]["tolerance"],
                discrepancy=day[name]["discrepancy"],
                result=day[name]["result"],
            )
            for name, (subject, reference) in PAIRS.items()
        }
        days.append(
            DayResult(
                day=day["day"],
                event_name=day["event_name"],
                browser=day["browser"],
                server=day["server"],
                crm=day["crm"],
                server_by_destination=dict(day["server_by_destination"]),
                server_vs_browser=pairs["server_vs_browser"],
                crm_vs_server=pairs["crm_vs_server"],
                browser_vs_crm=pairs["browser_vs_crm"],
                value={
                    currency: CurrencyValue(Decimal(amounts["server"]), Decimal(amounts["crm"]))
                    for currency, amounts in day["value"].items()
                },
                missing={
                    name: IdList(tuple(found["ids"]), found["more"]) for name, found in day["missing"].items()
                },
            )
        )
    overlap = document["overlap"]
    clicks = document["no_click_id"]
    return Reconciliation(
        since=_epoch(document["since"]),
        until=_epoch(document["until"]),
        tolerances=tolerances,
        days=days,
        overlap=Overlap(
            browser=overlap["browser"],
            server=overlap["server"],
            both=overlap["both"],
            share_of_server=overlap["share_of_server"],
            share_of_browser=overlap["share_of_browser"],
            message=overlap["message"],
        ),
        no_click_id=NoClickId(
            total=ClickIdShare(clicks["delivered"], clicks["without_click_id"]),
            by_destination={
                name: ClickIdShare(share["delivered"], share["without_click_id"])
                for name, share in clicks["by_destination"].items()
            },
        ),
        browser_supplied=document["browser_supplied"],
    )


def discrepancy_findings(document: Mapping[str, Any]) -> list[Finding]:
    """One finding per (pair, event name) with a WARN day, on its worst day. Reads the stored
    JSON document, so the alert stays firing until a newer reconciliation passes."""
    worst: dict[tuple[str, str], Mapping[str, Any]] = {}
    warn_days: dict[tuple[str, str], int] = {}
    for day in document.get("days", []):
        for pair in PAIRS:
            checked = day.get(pair, {})
            if checked.get("result") != WARN:
                continue
            key = (pair, day["event_name"])
            warn_days[key] = warn_days.get(key, 0) + 1
            if key not in worst or checked["discrepancy"] > worst[key][pair]["discrepancy"]:
                worst[key] = day
    window = f"{document.get('since', '')[:10]} to {document.get('until', '')[:10]}"
    findings = []
    for (pair, event_name), day in sorted(worst.items()):
        checked = day[pair]
        subject, reference = PAIRS[pair]
        others = warn_days[(pair, event_name)] - 1
        more = f"; {others} more day(s) beyond it" if others else ""
        message = (
            f"{event_name} on {day['day']}: {subject} {day[subject]} vs {reference} {day[reference]} "
            f"({formatting.percent(checked['discrepancy'])}), beyond the "
            f"{formatting.percent(checked['tolerance'])} tolerance{more}"
        )
        start = day["day"]
        findings.append(
            Finding(
                alert_key=alert_key(DISCREPANCY, f"{pair}/{event_name}"),
                rule=DISCREPANCY,
                severity=WARNING,
                destination="",
                figure=float(checked["discrepancy"]),
                baseline=None,
                threshold=float(checked["tolerance"]),
                window=window,
                message=message,
                command=f"signalmesh reconcile --crm CRM_FILE --since {start} --until {_next_day(start)}",
                unit=RATIO,
            )
        )
    return findings


def _day(day: DayResult) -> dict[str, Any]:
    return {
        "day": day.day,
        "event_name": day.event_name,
        "result": day.result,
        "browser": day.browser,
        "server": day.server,
        "crm": day.crm,
        "server_by_destination": day.server_by_destination,
        "server_vs_browser": _pair(day.server_vs_browser),
        "crm_vs_server": _pair(day.crm_vs_server),
        "browser_vs_crm": _pair(day.browser_vs_crm),
        "value": {
            currency: {"server": str(amounts.server), "crm": str(amounts.crm)}
            for currency, amounts in day.value.items()
        },
        "missing": {
            name: {"ids": list(found.ids), "more": found.more} for name, found in day.missing.items()
        },
    }


def _pair(checked: PairCheck) -> dict[str, Any]:
    return {
        "discrepancy": _fraction(checked.discrepancy),
        "tolerance": checked.tolerance,
        "result": checked.result,
    }


def _click_ids(share: ClickIdShare) -> dict[str, Any]:
    return {
        "delivered": share.delivered,
        "without_click_id": share.without_click_id,
        "share": _fraction(share.share),
    }


def _fraction(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _epoch(iso: str) -> float:
    return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")))


def _next_day(day: str) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day_bounds(day)[1]))
