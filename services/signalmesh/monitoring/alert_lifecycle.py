"""An alert's lifecycle as a pure transition: (stored records, this minute's findings, now) →
(records to save, notifications to send, records to forget).

    (none) ──found──▶ firing ──no longer found──▶ resolved ──found again──▶ firing
                                                      └──resolved_keep_days──▶ forgotten

Notifications follow ``AlertRecord.notified_state``, the state whose notification was last
*delivered*: every record whose state differs from it is notified, every minute, until a sink
delivers it and the evaluator saves ``acknowledge(...)``. So a failed webhook is retried on
the next evaluation, a restart does not notify again, and a still-firing alert (details
refreshed every minute) never repeats itself. An alert that fired and resolved while the
webhook was down sends only "resolved" (it carries ``fired_at``): one message, the true state.
A severity change while firing (latency warning → critical) refreshes the record silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.findings import Finding
from signalmesh.store.base import AlertRecord

FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Notification:
    """One transition to tell people about; ``details`` is the finding's JSON object (figure,
    baseline, threshold, unit, window, message, command)."""

    alert_key: str
    rule: str
    state: str  # FIRING | RESOLVED
    severity: str
    destination: str
    fired_at: float
    resolved_at: float
    details: Mapping[str, Any]
    at: float  # when the evaluator decided to send it

    def detail(self, name: str) -> Any:
        return self.details.get(name)


@dataclass(frozen=True, slots=True)
class AlertStep:
    save: list[AlertRecord]  # records that changed: pass to Store.save_alerts
    notifications: list[Notification]  # send each; then save acknowledge(current, delivered)
    forget: list[str]  # alert keys resolved longer than resolved_keep_days
    current: list[AlertRecord]  # every record kept after this step, by alert key


def advance(
    previous: Sequence[AlertRecord], findings: Sequence[Finding], now: float, settings: AlertSettings
) -> AlertStep:
    stored = {record.alert_key: record for record in previous}
    found = {finding.alert_key: finding for finding in findings}
    current: dict[str, AlertRecord] = {}
    forget: list[str] = []
    for key, finding in found.items():
        current[key] = _firing(stored.get(key), finding, now)
    for key, record in stored.items():
        if key in found:
            continue
        if record.state == FIRING:
            current[key] = replace(record, state=RESOLVED, resolved_at=now)
        elif now - record.resolved_at >= settings.resolved_keep_seconds:
            forget.append(key)
        else:
            current[key] = record
    records = [current[key] for key in sorted(current)]
    return AlertStep(
        save=[record for record in records if stored.get(record.alert_key) != record],
        notifications=[notification(record, now) for record in records if needs_notification(record)],
        forget=sorted(forget),
        current=records,
    )


def needs_notification(record: AlertRecord) -> bool:
    return record.state != record.notified_state


def notification(record: AlertRecord, now: float) -> Notification:
    return Notification(
        alert_key=record.alert_key,
        rule=record.rule,
        state=record.state,
        severity=record.severity,
        destination=record.destination,
        fired_at=record.fired_at,
        resolved_at=record.resolved_at,
        details=details_of(record),
        at=now,
    )


def acknowledge(records: Sequence[AlertRecord], delivered: Sequence[Notification]) -> list[AlertRecord]:
    """The records whose notification a sink delivered, with ``notified_state`` set to the
    delivered state: save these, and the next step will not send them again."""
    states = {item.alert_key: item.state for item in delivered}
    return [
        replace(record, notified_state=states[record.alert_key])
        for record in records
        if record.alert_key in states and record.state == states[record.alert_key]
    ]


def listed(records: Sequence[AlertRecord], now: float, settings: AlertSettings) -> list[AlertRecord]:
    """What `signalmesh alerts` shows: firing first (newest first), then resolved ones within
    ``resolved_keep_days`` (newest first), whether or not the store has forgotten the rest."""
    firing = [record for record in records if record.state == FIRING]
    recent = [
        record
        for record in records
        if record.state == RESOLVED and now - record.resolved_at < settings.resolved_keep_seconds
    ]
    return sorted(firing, key=lambda record: -record.fired_at) + sorted(
        recent, key=lambda record: -record.resolved_at
    )


def details_of(record: AlertRecord) -> dict[str, Any]:
    try:
        details = json.loads(record.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _firing(stored: AlertRecord | None, finding: Finding, now: float) -> AlertRecord:
    if stored is not None and stored.state == FIRING:
        return replace(
            stored,
            rule=finding.rule,
            severity=finding.severity,
            destination=finding.destination,
            details=finding.details_json(),
        )
    # New, or firing again after a resolve: a new episode that notifies again.
    return AlertRecord(
        alert_key=finding.alert_key,
        rule=finding.rule,
        severity=finding.severity,
        state=FIRING,
        destination=finding.destination,
        fired_at=now,
        resolved_at=0.0,
        details=finding.details_json(),
        notified_state=stored.notified_state if stored is not None else "",
    )
