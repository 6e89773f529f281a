"""Real `signalmesh` processes on loopback ports, as `signalmesh up` runs them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path

import grpc
import pytest
from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.v1 import gateway_pb2, gateway_pb2_grpc

from tests.support.waiting import wait_until

pytestmark = pytest.mark.system

CONFIG = """\
state_dir = "{state_dir}"

[gateway]
policy_timeout = "3s"

[dispatcher]
linger = "5ms"
poll_interval = "20ms"
lease = "{lease}"
base_backoff = "20ms"
max_backoff = "200ms"
request_timeout = "{request_timeout}"

[destinations.meta]
connector = "meta"
pixel_id = "1234567890"
access_token = "sandbox-token"
base_url = "http://{sandbox}"
{extra}
"""


class Launcher:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.processes: list[ServiceProcess] = []

    def start(
        self, name: str, *arguments: str, environment: Mapping[str, str] | None = None
    ) -> ServiceProcess:
        process = start_service(name, arguments, self.run_dir, environment=environment)
        self.processes.append(process)
        return process

    async def astart(
        self, name: str, *arguments: str, environment: Mapping[str, str] | None = None
    ) -> ServiceProcess:
        return await asyncio.to_thread(self.start, name, *arguments, environment=environment)

    def write_config(
        self, sandbox: ServiceProcess, *, lease: str = "30s", request_timeout: str = "10s", extra: str = ""
    ) -> Path:
        path = self.run_dir / "signalmesh.toml"
        path.write_text(
            CONFIG.format(
                state_dir=self.run_dir / "state",
                sandbox=sandbox.address,
                lease=lease,
                request_timeout=request_timeout,
                extra=extra,
            )
        )
        return path

    async def start_mesh(
        self, config: Path, *, suffix: str = "", environment: Mapping[str, str] | None = None
    ) -> tuple[ServiceProcess, ServiceProcess]:
        """Policy, then a gateway that calls it, both on ports the OS picks: (policy, gateway)."""
        policy = await self.astart(
            f"policy{suffix}",
            "policy",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
            environment=environment,
        )
        gateway = await self.astart(
            f"gateway{suffix}",
            *("gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address),
            environment=environment,
        )
        return policy, gateway

    def api_key(self) -> str:
        return (self.run_dir / "state" / "local-api-key").read_text().strip()

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop(timeout=10)


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    try:
        yield launcher
    finally:
        launcher.stop_all()


def gateway_stub(address: str) -> tuple[grpc.aio.Channel, gateway_pb2_grpc.GatewayStub]:
    channel = grpc.aio.insecure_channel(address)
    return channel, gateway_pb2_grpc.GatewayStub(channel)


__all__ = ["Launcher", "gateway_pb2", "gateway_stub", "wait_until"]
