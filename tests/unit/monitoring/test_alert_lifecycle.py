"""The alert lifecycle notifies once per transition, retries an undelivered notification,
survives restarts (state is the records) and forgets old resolved alerts."""

from __future__ import annotations

from dataclasses import replace

from signalmesh.monitoring.alert_lifecycle import (
    FIRING,
    RESOLVED,
    AlertStep,
    acknowledge,
    advance,
    details_of,
    listed,
)
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.findings import CRITICAL, WARNING, Finding
from signalmesh.monitoring.history import DAY
from signalmesh.store.base import AlertRecord

SETTINGS = AlertSettings()
T0 = 1_800_000_000.0


def finding(figure: float = 3, severity: str = WARNING, destination: str = "meta") -> Finding:
    return Finding(
        alert_key=f"volume_drop:{destination}",
        rule="volume_drop",
        severity=severity,
        destination=destination,
        figure=figure,
        baseline=100,
        threshold=50,
        window="last full hour (13:00–14:00 UTC)",
        message=f"{destination}: {figure} delivered",
        command=f"signalmesh stats --since 7d --destination {destination}",
    )


class Evaluator:
    """What the gateway's evaluator does each minute, with a sink that may fail: the records
    it saves are the only state carried from one minute (or process) to the next."""

    def __init__(self) -> None:
        self.stored: dict[str, AlertRecord] = {}
        self.sent: list[tuple[str, str]] = []

    def minute(self, findings: list[Finding], now: float, sink_up: bool = True) -> AlertStep:
        step = advance(list(self.stored.values()), findings, now, SETTINGS)
        for key in step.forget:
            del self.stored[key]
        self.stored.update({record.alert_key: record for record in step.save})
        if sink_up:
            self.sent += [(item.alert_key, item.state) for item in step.notifications]
            acknowledged = acknowledge(step.current, step.notifications)
            self.stored.update({record.alert_key: record for record in acknowledged})
        return step


def test_a_new_finding_fires_once_and_stays_quiet_while_it_keeps_firing():
    evaluator = Evaluator()
    first = evaluator.minute([finding(3)], T0)
    assert [(record.state, record.fired_at) for record in first.save] == [(FIRING, T0)]
    evaluator.minute([finding(3)], T0 + 60)
    evaluator.minute([finding(7)], T0 + 120)
    assert evaluator.sent == [("volume_drop:meta", FIRING)]
    record = evaluator.stored["volume_drop:meta"]
    assert details_of(record)["figure"] == 7, "details are refreshed while firing"
    assert record.fired_at == T0


def test_an_unchanged_firing_alert_is_not_saved_again():
    evaluator = Evaluator()
    evaluator.minute([finding(3)], T0)
    assert evaluator.minute([finding(3)], T0 + 60).save == []


def test_a_finding_that_goes_away_resolves_once():
    evaluator = Evaluator()
    evaluator.minute([finding()], T0)
    step = evaluator.minute([], T0 + 60)
    assert [(record.state, record.resolved_at) for record in step.save] == [(RESOLVED, T0 + 60)]
    evaluator.minute([], T0 + 120)
    assert evaluator.sent == [("volume_drop:meta", FIRING), ("volume_drop:meta", RESOLVED)]
    notification = step.notifications[0]
    assert (notification.fired_at, notification.resolved_at) == (T0, T0 + 60)


def test_a_refire_after_resolving_is_a_new_episode_that_notifies_again():
    evaluator = Evaluator()
    evaluator.minute([finding()], T0)
    evaluator.minute([], T0 + 60)
    evaluator.minute([finding()], T0 + 120)
    assert [state for _, state in evaluator.sent] == [FIRING, RESOLVED, FIRING]
    record = evaluator.stored["volume_drop:meta"]
    assert (record.state, record.fired_at, record.resolved_at) == (FIRING, T0 + 120, 0.0)


def test_a_failed_delivery_is_retried_next_minute_and_then_stops():
    evaluator = Evaluator()
    evaluator.minute([finding()], T0, sink_up=False)
    assert evaluator.sent == []
    retry = evaluator.minute([finding()], T0 + 60)
    assert [item.state for item in retry.notifications] == [FIRING]
    evaluator.minute([finding()], T0 + 120)
    assert evaluator.sent == [("volume_drop:meta", FIRING)]


def test_a_restart_does_not_notify_again():
    evaluator = Evaluator()
    evaluator.minute([finding()], T0)
    restarted = Evaluator()
    restarted.stored = dict(evaluator.stored)  # what the store kept
    assert restarted.minute([finding()], T0 + 60).notifications == []


def test_fired_and_resolved_while_the_webhook_was_down_sends_only_resolved():
    evaluator = Evaluator()
    evaluator.minute([finding()], T0, sink_up=False)
    evaluator.minute([], T0 + 60, sink_up=False)
    evaluator.minute([], T0 + 120)
    assert evaluator.sent == [("volume_drop:meta", RESOLVED)]


def test_a_notification_acknowledged_for_an_older_state_does_not_silence_the_new_one():
    evaluator = Evaluator()
    firing = evaluator.minute([finding()], T0, sink_up=False).notifications
    resolved_step = advance(list(evaluator.stored.values()), [], T0 + 60, SETTINGS)
    # The firing notification arrives late, after the alert resolved: it acknowledges nothing.
    assert acknowledge(resolved_step.current, firing) == []


def test_a_severity_change_while_firing_refreshes_without_notifying():
    evaluator = Evaluator()
    evaluator.minute([finding(severity=WARNING)], T0)
    step = evaluator.minute([finding(severity=CRITICAL)], T0 + 60)
    assert step.notifications == [] and evaluator.stored["volume_drop:meta"].severity == CRITICAL


def test_resolved_alerts_are_forgotten_after_resolved_keep_days():
    evaluator = Evaluator()
    evaluator.minute([finding()], T0)
    evaluator.minute([], T0 + 60)
    assert evaluator.minute([], T0 + 60 + 7 * DAY - 1).forget == []
    step = evaluator.minute([], T0 + 60 + 7 * DAY)
    assert step.forget == ["volume_drop:meta"] and step.current == [] and evaluator.stored == {}


def test_alerts_are_independent_per_key():
    evaluator = Evaluator()
    evaluator.minute([finding(destination="meta"), finding(destination="tiktok")], T0)
    step = evaluator.minute([finding(destination="tiktok")], T0 + 60)
    assert [(item.alert_key, item.state) for item in step.notifications] == [("volume_drop:meta", RESOLVED)]


def test_listed_shows_firing_first_then_recently_resolved():
    base = AlertRecord("a", "volume_drop", WARNING, FIRING, "meta", fired_at=T0)
    records = [
        replace(base, alert_key="old", state=RESOLVED, resolved_at=T0 - 8 * DAY),
        replace(base, alert_key="recent", state=RESOLVED, resolved_at=T0 - DAY),
        replace(base, alert_key="firing-older", fired_at=T0 - 100),
        replace(base, alert_key="firing-newer", fired_at=T0 - 10),
    ]
    assert [record.alert_key for record in listed(records, T0, SETTINGS)] == [
        "firing-newer",
        "firing-older",
        "recent",
    ]
