"""A real mesh (sandbox, policy, gateway on loopback ports) on an event loop of its own thread,
so Hypothesis's synchronous tests can call it over gRPC like any client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from signalmesh.config import config_from_mapping
from signalmesh.gateway.server import serve_gateway
from signalmesh.policy.server import serve_policy
from signalmesh.sandbox import start_sandbox

from tests.integration.mesh.conftest import mesh_settings


@dataclass(frozen=True)
class LiveGateway:
    address: str
    metadata: tuple[tuple[str, str], ...]


@contextmanager
def live_gateway(state_dir: Path) -> Iterator[LiveGateway]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():  # type: ignore[no-untyped-def]
        sandbox = await start_sandbox(host="127.0.0.1", port=0, tokens=("sandbox-token",))
        config = config_from_mapping(mesh_settings(state_dir, sandbox.url), {}, source=None)
        policy = await serve_policy(config, listen="127.0.0.1:0")
        gateway = await serve_gateway(config, listen="127.0.0.1:0", policy_address=policy.address)
        return sandbox, policy, gateway

    sandbox, policy, gateway = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield LiveGateway(gateway.address, (("authorization", f"Bearer {gateway.local_key}"),))
    finally:

        async def stop() -> None:
            await gateway.stop(grace=1)
            await policy.stop(grace=1)
            await sandbox.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
