"""Policy SIGKILL: the gateway answers UNAVAILABLE and accepts nothing it cannot decide, then
recovers by itself when policy is back on its port."""

from __future__ import annotations

import time

import grpc
import pytest
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.system.conftest import gateway_stub, wait_until


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.{event_id}")
    )


async def test_gateway_answers_unavailable_while_policy_is_down_and_recovers_when_it_returns(launcher):
    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    config = launcher.write_config(sandbox)
    policy = await launcher.astart("policy", "policy", "--config", str(config), "--listen", "127.0.0.1:0")
    gateway = await launcher.astart(
        "gateway", "gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address
    )
    channel, stub = gateway_stub(gateway.address)
    metadata = (("authorization", f"Bearer {launcher.api_key()}"),)

    async def send(*event_ids: str) -> gateway_pb2.SendEventsResponse:
        request = gateway_pb2.SendEventsRequest(events=[clicked(event_id) for event_id in event_ids])
        return await stub.SendEvents(request, metadata=metadata, timeout=10)

    assert (await send("before-1")).accepted == 1
    policy.kill()

    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await send("during-1", "during-2")
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "nothing accepted" in refused.value.details()
    assert time.monotonic() - started < 3 + 2  # policy_timeout (3 s) plus slack, never the client's deadline
    for event_id in ("during-1", "during-2"):  # refused means refused: no status, no outbox entry
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.GetEventStatus(
                gateway_pb2.GetEventStatusRequest(event_id=event_id), metadata=metadata, timeout=5
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

    await launcher.astart("policy-restarted", "policy", "--config", str(config), "--listen", policy.address)

    async def accepted_again() -> bool:
        try:
            return (await send("during-1", "during-2")).accepted == 2
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE
            return False

    await wait_until(accepted_again, 20, "the gateway did not recover after policy restarted")
    async with SandboxControl(f"http://{sandbox.address}") as control:

        async def all_delivered() -> bool:
            recorded = await control.events("meta", "1234567890")
            return {event["event_id"] for event in recorded.events} == {"before-1", "during-1", "during-2"}

        await wait_until(all_delivered, 20, "events accepted after the outage were not delivered")
        assert (await control.stats())["meta"]["duplicates"] == 0
    await channel.close()
