"""``[[clients]] destinations``: a key limited to named destinations, on a real gateway."""

from __future__ import annotations

import grpc
import pytest
from signalmesh.interceptors import hash_api_key
from signalmesh.v1 import gateway_pb2

from tests.integration.mesh.conftest import make_event

LIMITED_KEY = "sm_limited_key_for_tests"
FULL_KEY = "sm_full_key_for_tests"
LIMITED = (("authorization", f"Bearer {LIMITED_KEY}"),)
FULL = (("authorization", f"Bearer {FULL_KEY}"),)


@pytest.fixture
def mesh_overrides():
    return {
        "clients": [
            {"name": "eu-shop", "key_sha256": hash_api_key(LIMITED_KEY), "destinations": ["meta_send_all"]},
            {"name": "ops", "key_sha256": hash_api_key(FULL_KEY)},
        ]
    }


async def test_an_event_for_another_destination_is_permission_denied_and_nothing_accepted(mesh):
    events = [
        make_event("scope-1", destinations=["meta_send_all"]),
        make_event("scope-2", destinations=["meta_strict"]),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await mesh.stub.SendEvents(gateway_pb2.SendEventsRequest(events=events), metadata=LIMITED, timeout=10)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "events[1].destinations" in error.value.details() and "meta_strict" in error.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await mesh.stub.GetEventStatus(
            gateway_pb2.GetEventStatusRequest(event_id="scope-1"), metadata=FULL, timeout=10
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND  # the whole call was refused
    with pytest.raises(grpc.aio.AioRpcError) as unary:
        await mesh.stub.SendEvent(
            gateway_pb2.SendEventRequest(event=make_event("scope-3", destinations=["meta_strict"])),
            metadata=LIMITED,
            timeout=10,
        )
    assert unary.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_an_event_naming_no_destination_goes_only_to_the_keys_destinations(mesh):
    response = await mesh.stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=[make_event("scope-4")]), metadata=LIMITED, timeout=10
    )
    assert response.accepted == 1
    assert {decision.destination for decision in response.results[0].decisions} == {"meta_send_all"}
    full = await mesh.stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=[make_event("scope-5")]), metadata=FULL, timeout=10
    )
    assert {decision.destination for decision in full.results[0].decisions} == {
        "meta_send_all",
        "meta_strict",
    }


async def test_a_stream_ends_with_permission_denied_at_the_first_event_outside(mesh):
    requests = [
        gateway_pb2.SendEventRequest(event=make_event("scope-6", destinations=["meta_send_all"])),
        gateway_pb2.SendEventRequest(event=make_event("scope-7", destinations=["meta_strict"])),
    ]
    answers = []
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for answer in mesh.stub.StreamEvents(iter(requests), metadata=LIMITED, timeout=10):
            answers.append(answer)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED and "events[1]" in error.value.details()
    assert [answer.result.event_id for answer in answers] == ["scope-6"]
