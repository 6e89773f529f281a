"""SIGTERM to a running gateway: health turns NOT_SERVING, the call in flight is answered, the
delivery batch in flight finishes and is recorded, and the process exits 0 within its grace."""

from __future__ import annotations

import asyncio
import signal
import time

from grpc_health.v1 import health_pb2, health_pb2_grpc
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.support.sockets import unread_bytes
from tests.system.conftest import gateway_stub, wait_until

PIXEL = "1234567890"


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.{event_id}")
    )


async def test_sigterm_stops_intake_finishes_calls_and_batches_in_flight_then_exits_zero(launcher):
    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    config = launcher.write_config(sandbox)
    policy = await launcher.astart("policy", "policy", "--config", str(config), "--listen", "127.0.0.1:0")
    gateway_args = ("gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address)
    gateway = await launcher.astart("gateway", *gateway_args)
    async with SandboxControl(f"http://{sandbox.address}") as control:
        await shutdown_scenario(launcher, control, gateway, policy, gateway_args)


async def shutdown_scenario(launcher, control, gateway, policy, gateway_args) -> None:
    channel, stub = gateway_stub(gateway.address)
    metadata = (("authorization", f"Bearer {launcher.api_key()}"),)

    # A delivery batch in flight: the platform takes 1.5 s to answer the first request.
    await control.inject(platform="meta", latency_ms=1500, count=1)
    in_flight_batch = [clicked(f"batch-{index}") for index in range(50)]
    answer = await stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=in_flight_batch), metadata=metadata, timeout=10
    )
    assert answer.accepted == 50

    async def platform_called() -> bool:
        return (await control.stats())["meta"]["requests"] > 0

    await wait_until(platform_called, 10, "the dispatcher never sent the batch")

    # A call in flight: policy is frozen (SIGSTOP), so the gateway's Decide waits for it.
    health = health_pb2_grpc.HealthStub(channel)
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
    assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
    policy.process.send_signal(signal.SIGSTOP)
    try:
        in_flight_call = asyncio.ensure_future(
            stub.SendEvents(
                gateway_pb2.SendEventsRequest(events=[clicked("call-1")]), metadata=metadata, timeout=10
            )
        )
        policy_port = int(policy.address.rsplit(":", 1)[1])

        async def decide_waits_at_policy() -> bool:
            # Frozen, policy reads nothing: the gateway's Decide call waits in its socket.
            return unread_bytes(policy_port) > 0

        await wait_until(decide_waits_at_policy, 5, "the call never reached policy (no unread bytes)")
        assert not in_flight_call.done()

        gateway.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert (await asyncio.wait_for(watch.read(), 5)).status == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        policy.process.send_signal(signal.SIGCONT)

    call_answer = await in_flight_call
    assert call_answer.accepted == 1, "the call in flight at SIGTERM was not answered"
    exit_code = await asyncio.to_thread(gateway.process.wait, 15)
    assert exit_code == 0
    assert time.monotonic() - signalled < 10, "shutdown overran its grace"
    await channel.close()

    # The batch in flight was delivered once and its outcome recorded before the exit: a new
    # gateway does not send it again, and delivers the call accepted during shutdown (unless
    # the other worker already did, before the exit).
    recorded = await control.events("meta", PIXEL)
    assert {event["event_id"] for event in recorded.events} >= {event.event_id for event in in_flight_batch}
    restarted = await launcher.astart("gateway-restarted", *gateway_args)

    async def call_delivered() -> bool:
        return "call-1" in {event["event_id"] for event in (await control.events("meta", PIXEL)).events}

    await wait_until(call_delivered, 15, "the call accepted during shutdown was never delivered")
    channel, stub = gateway_stub(restarted.address)
    status = await stub.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id="batch-0"), metadata=metadata, timeout=5
    )
    assert status.destinations[0].state == gateway_pb2.DELIVERY_STATE_DELIVERED
    assert (await control.stats())["meta"]["duplicates"] == 0
    await channel.close()
