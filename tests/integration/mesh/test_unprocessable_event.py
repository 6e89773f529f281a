"""The last line of defence: should a connector still raise on one event, that event alone is
refused (``event.unprocessable``), logged once without its data, and every other event, call
and stream goes on. A real gateway whose Meta connector raises on one marked event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from signalmesh.config import config_from_mapping
from signalmesh.connector import Destination
from signalmesh.gateway.server import serve_gateway
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry, load_registry
from signalmesh.policy.server import serve_policy
from signalmesh.sandbox import start_sandbox
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

from tests.integration.mesh.conftest import make_event, mesh_settings

MARK = "explode-order"


class RaisingOnMarkedEvents:
    """The real Meta connector, except that ``prepare`` raises for an event with ``MARK``."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        if event.order_id == MARK:
            raise ZeroDivisionError("jane.doe@example.com")  # a message that must never be logged
        return self._real.prepare(event, destination)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[gateway_pb2_grpc.GatewayStub, tuple]]:
    sandbox = await start_sandbox(host="127.0.0.1", port=0, tokens=("sandbox-token",))
    config = config_from_mapping(mesh_settings(tmp_path / "state", sandbox.url), {}, source=None)
    meta = load_registry(["meta"]).get("meta")
    registry = ConnectorRegistry([ConnectorInfo(RaisingOnMarkedEvents(meta), "tests", "0")])  # type: ignore[arg-type]
    policy = await serve_policy(config, listen="127.0.0.1:0")
    runtime = await serve_gateway(config, registry, listen="127.0.0.1:0", policy_address=policy.address)
    channel = grpc.aio.insecure_channel(runtime.address)
    try:
        yield gateway_pb2_grpc.GatewayStub(channel), (("authorization", f"Bearer {runtime.local_key}"),)
    finally:
        await channel.close()
        await runtime.stop(grace=1)
        await policy.stop(grace=1)
        await sandbox.close()


async def test_an_event_that_raises_is_refused_alone_and_logged_once_without_its_data(gateway, caplog):
    stub, metadata = gateway
    bad = make_event("bad", order_id=MARK)
    with caplog.at_level(logging.WARNING):
        batch = await stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event("a"), bad, make_event("b")]), metadata=metadata
        )
        unary = await asyncio.gather(
            stub.SendEvent(gateway_pb2.SendEventRequest(event=bad), metadata=metadata),
            *(
                stub.SendEvent(gateway_pb2.SendEventRequest(event=make_event(f"u{n}")), metadata=metadata)
                for n in range(4)
            ),
            return_exceptions=True,
        )

        async def requests():
            for event in (make_event("s1"), bad, make_event("s2")):
                yield gateway_pb2.SendEventRequest(event=event)

        streamed = [answer.result async for answer in stub.StreamEvents(requests(), metadata=metadata)]

    assert (batch.accepted, batch.rejected) == (2, 1)
    assert [(item.field, item.reason) for item in batch.results[1].violations] == [
        ("event", "event.unprocessable")
    ]
    refused, *innocent = unary
    assert isinstance(refused, grpc.aio.AioRpcError) and refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert rpc_status.from_call(refused).details[0].Unpack(bad_request)  # type: ignore[union-attr]
    assert bad_request.field_violations[0].reason == "event.unprocessable"
    assert all(answer.result.disposition == gateway_pb2.DISPOSITION_ACCEPTED for answer in innocent)  # type: ignore[union-attr]
    assert [answer.disposition for answer in streamed] == [
        gateway_pb2.DISPOSITION_ACCEPTED,
        gateway_pb2.DISPOSITION_REJECTED,
        gateway_pb2.DISPOSITION_ACCEPTED,
    ]
    lines = [record.getMessage() for record in caplog.records if "unprocessable" in record.getMessage()]
    assert len(lines) == 3 and all("ZeroDivisionError" in line for line in lines)  # once per event sent
    assert not any("jane.doe" in record.getMessage() for record in caplog.records)
