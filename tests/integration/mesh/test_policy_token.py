"""With [policy] token set, policy answers only callers that present it: the gateway does, a
stray client cannot claim dedup keys (and so cannot turn real events into "duplicates")."""

from __future__ import annotations

import grpc
import pytest
from signalmesh.v1 import policy_pb2, policy_pb2_grpc

from tests.integration.mesh.conftest import make_event

TOKEN = "policy-shared-secret-for-tests"


@pytest.fixture
def mesh_overrides():
    return {"policy": {"token": TOKEN}}


async def test_the_gateway_presents_the_token_and_events_flow(mesh):
    response = await mesh.send(make_event("token-1", destinations=["meta_send_all"]))
    assert response.accepted == 1
    await mesh.wait_delivered("token-1", "meta_send_all")


@pytest.mark.parametrize(
    "metadata", [(), (("authorization", "Bearer not-the-token"),)], ids=["none", "wrong"]
)
async def test_a_caller_without_the_token_cannot_claim_dedup_keys(mesh, metadata):
    claim = policy_pb2.DecisionInput(
        event_id="stray-1", event_name="Purchase", destination="meta_send_all", connector="meta"
    )
    async with grpc.aio.insecure_channel(mesh.policy.address) as channel:
        stub = policy_pb2_grpc.PolicyStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.Decide(policy_pb2.DecideRequest(items=[claim]), metadata=metadata, timeout=5)
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "[policy] token" in (error.value.details() or "")
    # Nothing was claimed: the real event with that id is still sent.
    response = await mesh.send(make_event("stray-1", destinations=["meta_send_all"]))
    assert response.results[0].decisions[0].decision == policy_pb2.DECISION_SEND
