"""The report's inputs that are not history: the latest ``signalmesh reconcile --json`` document
and the alert records, read defensively — a field missing or of another shape reads as unknown
rather than failing the whole report."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from signalmesh.store.base import AlertRecord


@dataclass(frozen=True, slots=True)
class ReconciliationRow:
    day: str
    event_name: str
    browser: float | None
    server: float | None
    crm: float | None
    server_vs_browser: str  # "PASS" | "WARN" | "" when the document did not say
    crm_vs_server: str

    @property
    def server_vs_browser_change(self) -> float | None:
        """(server − browser) / browser, for the reader; the verdict is the document's."""
        return _change(self.server, self.browser)

    @property
    def crm_vs_server_change(self) -> float | None:
        return _change(self.crm, self.server)


@dataclass(frozen=True, slots=True)
class ReconciliationSummary:
    result: str
    since: str
    until: str
    rows: tuple[ReconciliationRow, ...]


@dataclass(frozen=True, slots=True)
class AlertEntry:
    rule: str
    destination: str
    severity: str
    fired_at: float
    resolved_at: float | None  # None while firing
    message: str
    figure: str
    threshold: str

    @property
    def firing(self) -> bool:
        return self.resolved_at is None


def _change(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return (value - reference) / reference


# --- reconciliation ------------------------------------------------------------------------
def reconciliation_summary(document: Mapping[str, Any] | None) -> ReconciliationSummary | None:
    """The fields the report shows from a ``signalmesh reconcile --json`` object. Anything
    missing or of another shape reads as unknown rather than failing the whole report."""
    if not isinstance(document, Mapping):
        return None
    rows = document.get("days")
    return ReconciliationSummary(
        result=_text(document.get("result")).upper(),
        since=_text(document.get("since")),
        until=_text(document.get("until")),
        rows=tuple(
            _reconciliation_row(row)
            for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, Mapping)
        ),
    )


def _reconciliation_row(row: Mapping[str, Any]) -> ReconciliationRow:
    return ReconciliationRow(
        day=_text(row.get("day")),
        event_name=_text(row.get("event_name")),
        browser=_count(row.get("browser")),
        server=_count(row.get("server")),
        crm=_count(row.get("crm")),
        server_vs_browser=_result(row.get("server_vs_browser")),
        crm_vs_server=_result(row.get("crm_vs_server")),
    )


def _count(value: Any) -> float | None:
    """A layer's count: a number, or (server per destination) a mapping of numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    if isinstance(value, Mapping):
        numbers = [_count(item) for item in value.values()]
        known = [number for number in numbers if number is not None]
        return sum(known) if known else None
    return None


def _result(comparison: Any) -> str:
    return _text(comparison.get("result")).upper() if isinstance(comparison, Mapping) else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- alerts --------------------------------------------------------------------------------
def alert_timeline(alerts: Iterable[AlertRecord], since: float) -> tuple[AlertEntry, ...]:
    """Alerts that were firing at some point since ``since``, oldest first."""
    entries = [
        _alert_entry(alert)
        for alert in alerts
        if alert.state == "firing" or not alert.resolved_at or alert.resolved_at >= since
    ]
    return tuple(sorted(entries, key=lambda entry: (entry.fired_at, entry.rule, entry.destination)))


def _alert_entry(alert: AlertRecord) -> AlertEntry:
    details = _details(alert.details)
    return AlertEntry(
        rule=alert.rule,
        destination=alert.destination,
        severity=alert.severity,
        fired_at=alert.fired_at,
        resolved_at=alert.resolved_at if alert.state == "resolved" and alert.resolved_at else None,
        message=_text(details.get("message")),
        figure=_text(details.get("figure")),
        threshold=_text(details.get("threshold")),
    )


def _details(raw: str) -> Mapping[str, Any]:
    try:
        details = json.loads(raw or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, Mapping) else {}
