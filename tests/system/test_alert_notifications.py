"""Alerts end to end, as real processes: the sandbox refuses the CRM webhook's events (HTTP 400,
a permanent refusal), the gateway's evaluator (every second here) notices, and a real HTTP
receiver gets exactly one signed "firing" notification; once the platform recovers and good
deliveries dilute the refusals, one "resolved" — and nothing in between, however many
evaluations ran."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.support.alert_receiver import AlertReceiver, alert_receiver
from tests.system.conftest import Launcher, gateway_stub, wait_until

SECRET = "system-alert-secret"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[AlertReceiver, str]]:
    async with alert_receiver(SECRET, "/hooks/signalmesh") as served:
        yield served


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.a{event_id}")
    )


async def test_refusals_fire_one_signed_notification_and_one_resolved(launcher: Launcher, receiver) -> None:
    state, url = receiver
    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    # Match quality is not this test's subject: its threshold is set out of reach.
    extra = (
        f'[destinations.crm]\nconnector = "webhook"\nstrategy = "send_all"\n'
        f'url = "http://{sandbox.address}/webhook/crm"\nsecret = "crm-secret"\n'
        f'[alerts]\nevaluate_every = "1s"\nmatch_quality_warn = 0\n'
        f'webhook_url = "{url}"\nwebhook_secret = "env:ALERT_SECRET"\n'
    )
    config = launcher.write_config(sandbox, extra=extra)
    _, gateway = await launcher.start_mesh(config, environment={"ALERT_SECRET": SECRET})
    control = SandboxControl(f"http://{sandbox.address}")
    channel, stub = gateway_stub(gateway.address)
    metadata = (("authorization", f"Bearer {launcher.api_key()}"),)

    async def send(prefix: str, count: int) -> None:
        events = [clicked(f"{prefix}-{index}") for index in range(count)]
        response = await stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=events), metadata=metadata, timeout=20
        )
        assert response.accepted == count

    async def crm_recorded() -> int:
        return len((await control.events("webhook", "crm")).events)

    try:
        # The CRM endpoint refuses everything (HTTP 400) until the fault is cleared.
        await control.inject(platform="webhook", status=400)
        await send("refused", 25)

        async def notified(expected_state: str) -> bool:
            return ("refusals", expected_state) in state.states_of("refusals")

        await wait_until(lambda: notified("firing"), 30, "a refusals notification")
        assert state.states_of("refusals") == [("refusals", "firing")]
        [firing] = [item for item in state.verified if item["rule"] == "refusals"]
        assert firing["destination"] == "crm" and firing["threshold"] == 0.05
        assert firing["figure"] > 0.05 and "crm" in firing["text"] and "signalmesh" in firing["command"]

        # Recovered: 500 good deliveries bring the hour's share under 5 %, and it resolves.
        await control.clear_faults("webhook")
        await send("good", 500)
        await wait_until(lambda: notified("resolved"), 60, "the refusals alert to resolve")
        # Dozens of evaluations ran in between: still exactly one of each.
        assert state.states_of("refusals") == [("refusals", "firing"), ("refusals", "resolved")]
        assert await crm_recorded() >= 500
        assert state.refused_signatures == 0
    finally:
        await channel.close()
        await control.close()
