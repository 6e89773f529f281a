"""An acknowledged event survives SIGKILL of the gateway: after restart it is delivered."""

from __future__ import annotations

import time

from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.system.conftest import gateway_stub, wait_until


async def test_events_acknowledged_before_a_sigkill_are_delivered_after_restart(launcher):
    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    config = launcher.write_config(sandbox, lease="1s", request_timeout="30s")
    policy = await launcher.astart("policy", "policy", "--config", str(config), "--listen", "127.0.0.1:0")
    gateway_args = ("gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address)
    gateway = await launcher.astart("gateway", *gateway_args)
    control = SandboxControl(f"http://{sandbox.address}")
    # Every platform call hangs: the gateway acknowledges, claims and sends, but never hears back.
    await control.inject(platform="meta", latency_ms=60_000, count=1_000)
    channel, stub = gateway_stub(gateway.address)
    metadata = (("authorization", f"Bearer {launcher.api_key()}"),)
    event_ids = [f"crash-{index}" for index in range(300)]
    events = [
        make_event(event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.x{event_id}"))
        for event_id in event_ids
    ]
    acknowledged = set()
    for start in range(0, len(events), 100):
        response = await stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=events[start : start + 100]), metadata=metadata, timeout=10
        )
        acknowledged |= {
            result.event_id
            for result in response.results
            if result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
        }
    await channel.close()
    assert acknowledged == set(event_ids)

    async def requests_in_flight() -> bool:
        return (await control.stats())["meta"]["requests"] > 0

    await wait_until(requests_in_flight, 10, "the gateway never tried to deliver")
    gateway.kill()
    assert (await control.events("meta", "1234567890")).events == []  # nothing delivered before the crash
    await control.clear_faults()

    restarted = await launcher.astart("gateway-restarted", *gateway_args)
    channel, stub = gateway_stub(restarted.address)

    async def all_delivered() -> bool:
        recorded = await control.events("meta", "1234567890")
        return {event["event_id"] for event in recorded.events} >= acknowledged

    await wait_until(all_delivered, 30, "acknowledged events were lost")
    status = await stub.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id="crash-0"), metadata=metadata, timeout=5
    )
    assert status.destinations[0].state == gateway_pb2.DELIVERY_STATE_DELIVERED
    await channel.close()
    await control.close()
