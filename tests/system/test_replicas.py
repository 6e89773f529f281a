"""Scale-out on Redis: two gateway and two policy replicas (real processes) share one Redis.

Duplicates that arrive through different replicas at once are sent once, and entries a killed
gateway had claimed are recovered and delivered by the surviving one (its lease expires).
Redis is the machine's on 127.0.0.1:6379 when it answers, else a redis-server started here;
the replicas use a key namespace of their own, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import time

from signalmesh.cli.processes import ServiceProcess
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc, policy_pb2

from tests.integration.mesh.conftest import make_event
from tests.system.conftest import Launcher, gateway_stub, wait_until

PIXEL = "1234567890"


async def start_replicas(
    launcher: Launcher, redis_url: str, namespace: str, request_timeout: str = "30s"
) -> tuple[list[ServiceProcess], SandboxControl]:
    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    store = f'[store]\nbackend = "redis"\nredis_url = "{redis_url}"\nredis_namespace = "{namespace}"\n'
    config = launcher.write_config(sandbox, lease="2s", request_timeout=request_timeout, extra=store)
    gateways = []
    for replica in ("a", "b"):
        _, gateway = await launcher.start_mesh(config, suffix=f"-{replica}")
        gateways.append(gateway)
    return gateways, SandboxControl(f"http://{sandbox.address}")


async def delivered_state(
    stub: gateway_pb2_grpc.GatewayStub, event_id: str, metadata: tuple[tuple[str, str], ...]
) -> bool:
    status = await stub.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id=event_id), metadata=metadata, timeout=5
    )
    return bool(status.destinations) and status.destinations[0].state == gateway_pb2.DELIVERY_STATE_DELIVERED


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.r{event_id}")
    )


async def test_replicas_share_one_dedup_ledger_and_one_outbox(launcher, redis_url, redis_namespace):
    gateways, control = await start_replicas(launcher, redis_url, redis_namespace)
    metadata = (("authorization", f"Bearer {launcher.api_key()}"),)
    stubs = [gateway_stub(gateway.address) for gateway in gateways]
    events = [clicked(f"replica-{index}") for index in range(200)]

    # Every event through both replicas at once, three times each: one SEND per event in all.
    calls = [
        stub.SendEvents(gateway_pb2.SendEventsRequest(events=events), metadata=metadata, timeout=20)
        for _ in range(3)
        for _, stub in stubs
    ]
    responses = await asyncio.gather(*calls)
    sends = [
        result.event_id
        for response in responses
        for result in response.results
        for decision in result.decisions
        if decision.decision == policy_pb2.DECISION_SEND
    ]
    assert sorted(sends) == sorted(event.event_id for event in events)

    async def delivered() -> bool:
        return len((await control.events("meta", PIXEL)).events) == len(events)

    await wait_until(delivered, 30, "not every event was delivered")
    recorded = await control.events("meta", PIXEL)
    assert recorded.duplicates == 0, "the replicas sent an event twice"

    async def status_written() -> bool:
        # The sandbox records an event before its sender hears back and writes the status.
        return await delivered_state(stubs[0][1], "replica-7", metadata)

    await wait_until(status_written, 10, "replica-7's delivery was never recorded")
    # Either replica explains any event: status lives in the shared store.
    for _, stub in stubs:
        status = await stub.GetEventStatus(
            gateway_pb2.GetEventStatusRequest(event_id="replica-7"), metadata=metadata, timeout=5
        )
        assert status.destinations[0].state == gateway_pb2.DELIVERY_STATE_DELIVERED
    for channel, _ in stubs:
        await channel.close()
    await control.close()


async def test_entries_a_killed_replica_had_claimed_are_delivered_by_the_other(
    launcher, redis_url, redis_namespace
):
    gateways, control = await start_replicas(launcher, redis_url, redis_namespace, request_timeout="3s")
    metadata = (("authorization", f"Bearer {launcher.api_key()}"),)
    # Platform calls hang: replica A claims entries and waits on the platform with them.
    await control.inject(platform="meta", latency_ms=60_000, count=10_000)
    channel, stub = gateway_stub(gateways[0].address)
    events = [clicked(f"failover-{index}") for index in range(300)]
    response = await stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=events), metadata=metadata, timeout=20
    )
    assert response.accepted == len(events)
    await channel.close()

    async def in_flight() -> bool:
        return (await control.stats())["meta"]["requests"] > 0

    await wait_until(in_flight, 10, "no replica tried to deliver")
    gateways[0].kill()  # A's claims stay pending in the consumer group until their lease expires
    await control.clear_faults()

    async def all_delivered() -> bool:
        recorded = await control.events("meta", PIXEL)
        return {event["event_id"] for event in recorded.events} >= {event.event_id for event in events}

    # B's own hanging calls time out (3 s) and retry; A's claims are taken over after the lease (2 s).
    await wait_until(all_delivered, 30, "entries claimed by the killed replica were never delivered")
    channel, survivor = gateway_stub(gateways[1].address)

    async def status_written() -> bool:
        return await delivered_state(survivor, "failover-0", metadata)

    await wait_until(status_written, 10, "failover-0's delivery was never recorded")
    status = await survivor.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id="failover-0"), metadata=metadata, timeout=5
    )
    assert status.destinations[0].state == gateway_pb2.DELIVERY_STATE_DELIVERED
    await channel.close()
    await control.close()
