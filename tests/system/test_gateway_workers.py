"""`[gateway] workers = 2`: two gateway processes on one port share the store; every event is
delivered exactly once, SIGTERM drains both, and a worker that dies takes the gateway down
(exit 1) rather than leaving it half there."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.system.conftest import gateway_stub, wait_until

PIXEL = "1234567890"


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.{event_id}")
    )


async def start_two_workers(launcher, *, lease: str = "30s"):
    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    config = launcher.write_config(sandbox, lease=lease)
    config.write_text(config.read_text().replace("[gateway]\n", "[gateway]\nworkers = 2\n", 1))
    policy, gateway = await launcher.start_mesh(config)
    assert len(workers_of(gateway.process.pid)) == 2
    return sandbox, config, policy, gateway


async def send_over_many_connections(address: str, key: str, prefix: str, count: int) -> set[str]:
    """``count`` events, 25 per call, each call on its own connection (the kernel spreads
    connections, not calls, over the workers)."""
    metadata = (("authorization", f"Bearer {key}"),)

    async def one_call(start: int) -> set[str]:
        channel, stub = gateway_stub(address)
        events = [clicked(f"{prefix}-{index}") for index in range(start, start + 25)]
        try:
            response = await stub.SendEvents(
                gateway_pb2.SendEventsRequest(events=events), metadata=metadata, timeout=20
            )
        finally:
            await channel.close()
        return {r.event_id for r in response.results if r.disposition == gateway_pb2.DISPOSITION_ACCEPTED}

    accepted = await asyncio.gather(*(one_call(start) for start in range(0, count, 25)))
    return set().union(*accepted)


async def test_two_workers_deliver_every_event_exactly_once_and_sigterm_drains_both(launcher):
    sandbox, config, policy, gateway = await start_two_workers(launcher)
    workers = workers_of(gateway.process.pid)
    async with SandboxControl(f"http://{sandbox.address}") as control:
        accepted = await send_over_many_connections(gateway.address, launcher.api_key(), "w", 400)
        assert len(accepted) == 400

        async def all_delivered() -> bool:
            recorded = await control.events("meta", PIXEL)
            return {event["event_id"] for event in recorded.events} >= accepted

        await wait_until(all_delivered, 30, "an accepted event was never delivered")
        assert (await control.stats())["meta"]["duplicates"] == 0

        # Accepted just before SIGTERM, while deliveries are slow: both workers finish what
        # they hold, the supervisor exits 0, and a new gateway delivers the rest once.
        await control.inject(platform="meta", latency_ms=500, count=5)
        late = await send_over_many_connections(gateway.address, launcher.api_key(), "late", 100)
        gateway.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(gateway.process.wait, 30) == 0
        assert not any(alive(worker) for worker in workers)

        restarted = await launcher.astart(
            "gateway-restarted",
            *("gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address),
        )
        assert restarted.address

        async def late_delivered() -> bool:
            recorded = await control.events("meta", PIXEL)
            return {event["event_id"] for event in recorded.events} >= late

        await wait_until(late_delivered, 30, "an event accepted before SIGTERM was lost")
        stats = (await control.stats())["meta"]
        assert stats["duplicates"] == 0
        recorded = await control.events("meta", PIXEL)
        ids = [event["event_id"] for event in recorded.events]
        assert len(ids) == len(set(ids)) == 500


async def test_a_worker_that_dies_stops_the_gateway_with_exit_code_one(launcher):
    _, _, _, gateway = await start_two_workers(launcher)
    first, second = workers_of(gateway.process.pid)
    os.kill(first, signal.SIGKILL)
    assert await asyncio.to_thread(gateway.process.wait, 30) == 1

    def second_gone() -> bool:
        return not alive(second)

    async def gone() -> bool:
        return await asyncio.to_thread(second_gone)

    await wait_until(gone, 10, "the surviving worker was left running")
