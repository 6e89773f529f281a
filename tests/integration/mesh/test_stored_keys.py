"""API keys added, rotated, revoked and expired without restarting the gateway (real store and gateway)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from signalmesh.interceptors import generate_api_key, hash_api_key
from signalmesh.store import open_store
from signalmesh.store.api_key_records import ApiKeyRecord, key_id_of
from signalmesh.v1 import gateway_pb2

from tests.integration.mesh.conftest import make_event


def _record(key: str, client: str = "checkout", **fields) -> ApiKeyRecord:
    digest = hash_api_key(key)
    values = {"scopes": ("events:write", "events:read"), "destinations": None, "created_at": time.time()}
    return ApiKeyRecord(key_id=key_id_of(digest), key_sha256=digest, client=client, **{**values, **fields})


async def _code(mesh, key: str, event_id: str) -> grpc.StatusCode:
    try:
        await mesh.stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event(event_id)]),
            metadata=(("authorization", f"Bearer {key}"),),
            timeout=10,
        )
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _wait_for(mesh, key: str, code: grpc.StatusCode, timeout: float = 10.0) -> None:
    """Call with ``key`` until the answer is ``code`` (the gateway re-reads keys within a second)."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while (seen := await _code(mesh, key, f"stored-{key[-6:]}-{attempt}")) != code:
        if time.monotonic() > deadline:
            raise AssertionError(f"still {seen}, never {code}")
        attempt += 1
        await asyncio.sleep(0.05)


@pytest.fixture
async def keys(mesh):
    store = open_store(mesh.config)
    yield store
    await store.close()


async def test_a_new_key_works_without_a_restart_and_a_revoked_one_is_refused(mesh, keys):
    key = generate_api_key()
    assert await _code(mesh, key, "stored-unknown") == grpc.StatusCode.UNAUTHENTICATED
    await keys.add_api_key(_record(key))
    await _wait_for(mesh, key, grpc.StatusCode.OK)
    await keys.revoke_api_key(key_id_of(hash_api_key(key)), time.time())
    await _wait_for(mesh, key, grpc.StatusCode.UNAUTHENTICATED)


async def test_during_a_rotation_old_and_new_keys_both_work(mesh, keys):
    old, new = generate_api_key(), generate_api_key()
    await keys.add_api_key(_record(old))
    await _wait_for(mesh, old, grpc.StatusCode.OK)
    await keys.add_api_key(_record(new))
    await _wait_for(mesh, new, grpc.StatusCode.OK)
    assert await _code(mesh, old, "rotation-old") == grpc.StatusCode.OK
    await keys.revoke_api_key(key_id_of(hash_api_key(old)), time.time())
    await _wait_for(mesh, old, grpc.StatusCode.UNAUTHENTICATED)
    assert await _code(mesh, new, "rotation-new") == grpc.StatusCode.OK


async def test_an_expired_key_is_refused(mesh, keys):
    expired, valid = generate_api_key(), generate_api_key()
    await keys.add_api_key(_record(expired, expires_at=time.time() - 1))
    await keys.add_api_key(_record(valid, expires_at=time.time() + 3600))
    await _wait_for(mesh, valid, grpc.StatusCode.OK)  # both are read by now
    assert await _code(mesh, expired, "expired-1") == grpc.StatusCode.UNAUTHENTICATED


async def test_a_stored_key_keeps_its_scopes_and_destinations(mesh, keys):
    reader, limited = generate_api_key(), generate_api_key()
    await keys.add_api_key(_record(reader, scopes=("events:read",)))
    await keys.add_api_key(_record(limited, destinations=("meta_send_all",)))
    await _wait_for(mesh, limited, grpc.StatusCode.OK)
    assert await _code(mesh, reader, "reader-1") == grpc.StatusCode.PERMISSION_DENIED
    response = await mesh.stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=[make_event("limited-1")]),
        metadata=(("authorization", f"Bearer {limited}"),),
        timeout=10,
    )
    assert {decision.destination for decision in response.results[0].decisions} == {"meta_send_all"}
