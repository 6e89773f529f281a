"""API clients from signalmesh.toml: keys are stored hashed; scopes limit what a key may call."""

from __future__ import annotations

import grpc
import pytest
from signalmesh.interceptors import hash_api_key
from signalmesh.v1 import gateway_pb2

from tests.integration.mesh.conftest import make_event

WRITER_KEY = "sm_writer_key_for_tests"
READER_KEY = "sm_reader_key_for_tests"


@pytest.fixture
def mesh_overrides():
    return {
        "clients": [
            {
                "name": "checkout",
                "key_sha256": hash_api_key(WRITER_KEY),
                "scopes": ["events:write", "events:read"],
            },
            {"name": "dashboard", "key_sha256": hash_api_key(READER_KEY), "scopes": ["events:read"]},
        ]
    }


async def test_a_configured_key_is_accepted_and_no_local_key_is_generated(mesh):
    assert mesh.gateway.local_key is None
    assert not (mesh.config.state_dir / "local-api-key").exists()
    response = await mesh.stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=[make_event("client-1")]),
        metadata=(("authorization", f"Bearer {WRITER_KEY}"),),
        timeout=10,
    )
    assert response.accepted == 1


async def test_a_key_without_the_write_scope_cannot_send_but_can_read(mesh):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await mesh.stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event("client-2")]),
            metadata=(("authorization", f"Bearer {READER_KEY}"),),
            timeout=10,
        )
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED and "events:write" in error.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as not_found:
        await mesh.stub.GetEventStatus(
            gateway_pb2.GetEventStatusRequest(event_id="client-2"),
            metadata=(("authorization", f"Bearer {READER_KEY}"),),
            timeout=10,
        )
    assert not_found.value.code() == grpc.StatusCode.NOT_FOUND


async def test_dead_letters_need_the_admin_scope(mesh):
    writer = (("authorization", f"Bearer {WRITER_KEY}"),)
    for call, request in (
        (mesh.stub.ListDeadLetters, gateway_pb2.ListDeadLettersRequest()),
        (mesh.stub.ReplayDeadLetters, gateway_pb2.ReplayDeadLettersRequest(all=True)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call(request, metadata=writer, timeout=10)
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED and "'admin'" in error.value.details()
