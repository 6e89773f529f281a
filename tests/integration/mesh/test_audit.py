"""Every admin action is one ``audit`` line naming the client, on a real gateway."""

from __future__ import annotations

import grpc
import pytest
import structlog
from signalmesh.audit import audit_target
from signalmesh.interceptors import hash_api_key
from signalmesh.v1 import gateway_pb2, policy_pb2

from tests.integration.mesh.conftest import make_event

ADMIN_KEY, WRITER_KEY = "sm_admin_key_for_audit", "sm_writer_key_for_audit"
ADMIN = (("authorization", f"Bearer {ADMIN_KEY}"),)
WRITER = (("authorization", f"Bearer {WRITER_KEY}"),)


@pytest.fixture
def mesh_overrides():
    return {
        "clients": [
            {"name": "ops-alice", "key_sha256": hash_api_key(ADMIN_KEY)},
            {"name": "checkout", "key_sha256": hash_api_key(WRITER_KEY), "scopes": ["events:write"]},
        ]
    }


async def test_each_admin_rpc_is_one_audit_line_naming_client_action_and_target(mesh):
    with structlog.testing.capture_logs() as logs:
        await mesh.stub.ReplayDeadLetters(
            gateway_pb2.ReplayDeadLettersRequest(all=True, destination="meta_strict"),
            metadata=ADMIN,
            timeout=10,
        )
        await mesh.stub.UpdateStrategy(
            policy_pb2.UpdateStrategyRequest(
                destination="meta_strict", strategy=policy_pb2.STRATEGY_SEND_ALL
            ),
            metadata=ADMIN,
            timeout=10,
        )
        await mesh.stub.ListDeadLetters(gateway_pb2.ListDeadLettersRequest(), metadata=ADMIN, timeout=10)
        await mesh.stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event("audit-1")]), metadata=WRITER, timeout=10
        )
    audits = [
        (line["client"], line["action"], line["target"], line["outcome"])
        for line in logs
        if line["event"] == "audit"
    ]
    assert audits == [
        ("ops-alice", "ReplayDeadLetters", "destination=meta_strict all=True", "OK"),
        ("ops-alice", "UpdateStrategy", "destination=meta_strict strategy=STRATEGY_SEND_ALL", "OK"),
        ("ops-alice", "ListDeadLetters", "*", "OK"),
    ]


async def test_a_failed_admin_action_is_audited_with_its_outcome(mesh):
    with structlog.testing.capture_logs() as logs, pytest.raises(grpc.aio.AioRpcError):
        await mesh.stub.ReplayDeadLetters(
            gateway_pb2.ReplayDeadLettersRequest(), metadata=ADMIN, timeout=10
        )
    [line] = [line for line in logs if line["event"] == "audit"]
    assert line["client"] == "ops-alice" and line["outcome"] == "INVALID_ARGUMENT"


def test_the_target_lists_a_few_entry_ids_and_counts_the_rest():
    request = gateway_pb2.ReplayDeadLettersRequest(entry_ids=[f"e{index}" for index in range(8)])
    assert audit_target(request) == "entry_ids=e0,e1,e2,e3,e4+3"
