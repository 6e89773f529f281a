"""The alert webhook over real HTTP: a loopback receiver verifies each request's signature the
way plugins/webhook/README.md tells receivers to, and sees exactly one "firing" and one
"resolved" even when its first answer is an error (the lifecycle retries, then stays quiet)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from signalmesh.monitoring.alert_lifecycle import FIRING, RESOLVED, acknowledge, advance
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.alert_sinks import WebhookSink
from signalmesh.monitoring.findings import WARNING, Finding
from signalmesh.store.base import AlertRecord

from tests.support.alert_receiver import AlertReceiver, alert_receiver

SECRET = "alert-secret"
T0 = 1_800_000_000.0
DROP = Finding(
    alert_key="volume_drop:meta-main",
    rule="volume_drop",
    severity=WARNING,
    destination="meta-main",
    figure=4,
    baseline=120,
    threshold=60,
    window="last full hour (13:00–14:00 UTC)",
    message="meta-main: 4 delivered in the last full hour, below 50 % of the 7-day average (120)",
    command="signalmesh stats --since 7d --destination meta-main",
)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[AlertReceiver, str]]:
    async with alert_receiver(SECRET) as served:
        yield served


async def test_a_signed_alert_verifies_at_a_real_receiver(receiver) -> None:
    state, url = receiver
    sink = WebhookSink(AlertSettings(webhook_url=url, webhook_secret=SECRET))
    try:
        step = advance([], [DROP], T0, AlertSettings())
        answer = await sink.send(step.notifications[0])
    finally:
        await sink.close()
    assert (answer.delivered, answer.status) == (True, 204)
    (body,) = state.verified
    assert body["state"] == FIRING and body["destination"] == "meta-main"
    assert "`signalmesh stats --since 7d --destination meta-main`" in body["text"]


async def test_a_wrong_secret_is_refused_by_the_receiver_and_not_acknowledged(receiver) -> None:
    state, url = receiver
    sink = WebhookSink(AlertSettings(webhook_url=url, webhook_secret="not-the-shared-one"))
    try:
        answer = await sink.send(advance([], [DROP], T0, AlertSettings()).notifications[0])
    finally:
        await sink.close()
    assert (answer.delivered, answer.status, state.refused_signatures) == (False, 401, 1)


async def test_a_receiver_that_is_down_gets_no_answer_and_nothing_is_acknowledged() -> None:
    # Port 9 on loopback (discard) has no listener here: the connection is refused.
    sink = WebhookSink(AlertSettings(webhook_url="http://127.0.0.1:9/alerts", webhook_secret=SECRET))
    try:
        answer = await sink.send(advance([], [DROP], T0, AlertSettings()).notifications[0])
    finally:
        await sink.close()
    assert answer.delivered is False and answer.status is None and answer.error


async def test_one_firing_and_one_resolved_arrive_through_a_failing_then_healthy_receiver(receiver) -> None:
    state, url = receiver
    state.fail_next = 1
    settings = AlertSettings(webhook_url=url, webhook_secret=SECRET)
    sink = WebhookSink(settings)
    stored: dict[str, AlertRecord] = {}

    async def minute(findings: list[Finding], now: float) -> None:
        step = advance(list(stored.values()), findings, now, settings)
        stored.update({record.alert_key: record for record in step.save})
        delivered = [item for item in step.notifications if (await sink.send(item)).delivered]
        stored.update({record.alert_key: record for record in acknowledge(step.current, delivered)})

    try:
        await minute([DROP], T0)  # the receiver answers 503: not acknowledged
        assert state.verified == []
        for offset in (60, 120, 180):  # retried once, then quiet while it keeps firing
            await minute([DROP], T0 + offset)
        for offset in (240, 300):  # resolved once
            await minute([], T0 + offset)
    finally:
        await sink.close()
    assert [(body["alert_key"], body["state"]) for body in state.verified] == [
        ("volume_drop:meta-main", FIRING),
        ("volume_drop:meta-main", RESOLVED),
    ]
    assert state.verified[1]["resolved_at"] == "2027-01-15T08:04:00Z"
    assert stored["volume_drop:meta-main"].notified_state == RESOLVED
