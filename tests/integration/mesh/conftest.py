"""A whole mesh in one event loop: sandbox (HTTP), policy and gateway (grpc.aio) on port 0,
a real SQLite file, real loopback sockets. Only the ad platforms are emulated (the sandbox)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from signalmesh.config import Config, config_from_mapping
from signalmesh.gateway.server import GatewayRuntime, serve_gateway
from signalmesh.policy.server import PolicyRuntime, serve_policy
from signalmesh.sandbox import start_sandbox
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

STRICT_PIXEL = "1111111111"
SEND_ALL_PIXEL = "2222222222"


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Every span the in-process services record. The global provider can be set only once
    per process, so join it when another test already installed one."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def make_event(event_id: str, **fields: Any) -> event_pb2.ConversionEvent:
    """A valid website Purchase; ``fields`` override or extend it."""
    event = event_pb2.ConversionEvent(
        event_id=event_id,
        event_name="Purchase",
        event_time=timestamp(time.time() - 60),
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="29.99",
        currency="USD",
        user_data=event_pb2.UserData(
            emails=["jane.doe@example.com"],
            client_user_agent="Mozilla/5.0 (test)",
            client_ip_address="203.0.113.9",
        ),
    )
    for name, value in fields.items():
        if hasattr(value, "CopyFrom"):
            getattr(event, name).CopyFrom(value)
        elif isinstance(value, list):
            del getattr(event, name)[:]
            getattr(event, name).extend(value)
        else:
            setattr(event, name, value)
    return event


@dataclass
class Mesh:
    config: Config
    sandbox: SandboxControl
    policy: PolicyRuntime
    gateway: GatewayRuntime
    stub: gateway_pb2_grpc.GatewayStub
    metadata: tuple[tuple[str, str], ...]
    channel: grpc.aio.Channel

    async def send(self, *events: event_pb2.ConversionEvent) -> gateway_pb2.SendEventsResponse:
        return await self.stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=events), metadata=self.metadata, timeout=10
        )

    async def status(self, event_id: str) -> gateway_pb2.GetEventStatusResponse:
        return await self.stub.GetEventStatus(
            gateway_pb2.GetEventStatusRequest(event_id=event_id), metadata=self.metadata, timeout=10
        )

    async def wait_for_states(
        self, event_id: str, predicate: Callable[[dict[str, int]], bool], timeout: float = 10.0
    ) -> dict[str, gateway_pb2.DestinationStatus]:
        """Poll GetEventStatus until ``predicate({destination: state})`` holds (deadline, no fixed sleeps)."""
        import asyncio

        deadline = time.monotonic() + timeout
        while True:
            response = await self.status(event_id)
            states = {item.destination: item for item in response.destinations}
            if predicate({name: item.state for name, item in states.items()}):
                return states
            if time.monotonic() > deadline:
                raise AssertionError(f"{event_id}: states never matched, last: {states}")
            await asyncio.sleep(0.02)

    async def wait_delivered(
        self, event_id: str, *destinations: str, timeout: float = 10.0
    ) -> dict[str, gateway_pb2.DestinationStatus]:
        return await self.wait_for_states(
            event_id,
            lambda states: all(
                states.get(name) == gateway_pb2.DELIVERY_STATE_DELIVERED for name in destinations
            ),
            timeout,
        )


def mesh_settings(state_dir: Path, sandbox_url: str, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "state_dir": str(state_dir),
        "gateway": {"policy_timeout": "2s"},
        "plugins": {"allow": ["meta"]},
        "dispatcher": {
            "linger": "2ms",
            "poll_interval": "10ms",
            "base_backoff": "10ms",
            "max_backoff": "50ms",
            "lease": "2s",
        },
        "destinations": {
            "meta_strict": {
                "connector": "meta",
                "pixel_id": STRICT_PIXEL,
                "access_token": "sandbox-token",
                "base_url": sandbox_url,
            },
            "meta_send_all": {
                "connector": "meta",
                "strategy": "send_all",
                "pixel_id": SEND_ALL_PIXEL,
                "access_token": "sandbox-token",
                "base_url": sandbox_url,
                "test_event_code": "TEST123",
            },
        },
    }
    for key, value in overrides.items():
        if key == "destinations":
            for name, table in value.items():
                settings["destinations"][name] = {**settings["destinations"].get(name, {}), **table}
        elif isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return settings


@pytest.fixture
def mesh_overrides() -> dict[str, Any] | Callable[[str], dict[str, Any]]:
    """Override in a test module to change the mesh's settings: a dict, or a function of the
    sandbox's URL (known only once it runs) returning one."""
    return {}


@pytest.fixture
async def mesh(
    tmp_path: Path,
    span_exporter: InMemorySpanExporter,
    mesh_overrides: dict[str, Any] | Callable[[str], dict[str, Any]],
) -> AsyncIterator[Mesh]:
    sandbox_server = await start_sandbox(host="127.0.0.1", port=0, tokens=("sandbox-token",))
    overrides = mesh_overrides(sandbox_server.url) if callable(mesh_overrides) else mesh_overrides
    config = config_from_mapping(
        mesh_settings(tmp_path / "state", sandbox_server.url, **overrides), {}, source=None
    )
    policy = await serve_policy(config, listen="127.0.0.1:0")
    gateway = await serve_gateway(config, listen="127.0.0.1:0", policy_address=policy.address)
    channel = grpc.aio.insecure_channel(gateway.address)
    control = SandboxControl(sandbox_server.url)
    try:
        yield Mesh(
            config=config,
            sandbox=control,
            policy=policy,
            gateway=gateway,
            stub=gateway_pb2_grpc.GatewayStub(channel),
            metadata=(("authorization", f"Bearer {gateway.local_key}"),),
            channel=channel,
        )
    finally:
        await channel.close()
        await control.close()
        await gateway.stop(grace=1)
        await policy.stop(grace=1)
        await sandbox_server.close()
