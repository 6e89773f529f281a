"""Two policy replicas on one Redis decide with one strategy: a change made through the
gateway reaches both (waiting for the state, no sleeps), and a replica started afterwards — a
restart — decides with it from its first batch."""

from __future__ import annotations

import time

import grpc
import pytest
from signalmesh.config import config_from_mapping
from signalmesh.gateway.server import serve_gateway
from signalmesh.policy.server import serve_policy
from signalmesh.v1 import event_pb2, gateway_pb2_grpc, policy_pb2, policy_pb2_grpc

from tests.integration.mesh.conftest import mesh_settings, timestamp
from tests.support.waiting import wait_until

pytestmark = pytest.mark.redis


def organic_purchase(event_id: str) -> policy_pb2.DecisionInput:
    """A website purchase to meta_strict with hashed email, IP and user agent but no click id."""
    return policy_pb2.DecisionInput(
        event_id=event_id,
        event_name="Purchase",
        destination="meta_strict",
        connector="meta",
        event_time=timestamp(time.time() - 60),
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        identifiers=["em", "client_ip_address", "client_user_agent", "event_source_url"],
    )


async def decide(address: str, event_id: str) -> policy_pb2.DecisionOutput:
    async with grpc.aio.insecure_channel(address) as channel:
        response = await policy_pb2_grpc.PolicyStub(channel).Decide(
            policy_pb2.DecideRequest(items=[organic_purchase(event_id)], dry_run=True), timeout=10
        )
    [decision] = response.decisions
    return decision


async def test_one_change_reaches_every_replica_and_survives_a_restart(tmp_path, redis_url, redis_namespace):
    settings = mesh_settings(
        tmp_path / "state",
        "http://127.0.0.1:9",  # nothing is delivered: the gateway does not dispatch
        store={"backend": "redis", "redis_url": redis_url, "redis_namespace": redis_namespace},
    )
    config = config_from_mapping(settings, {}, source=None)
    first = await serve_policy(config, listen="127.0.0.1:0")
    second = await serve_policy(config, listen="127.0.0.1:0")
    gateway = await serve_gateway(config, listen="127.0.0.1:0", policy_address=first.address, dispatch=False)
    replicas = [first, second]
    try:
        for replica in replicas:
            assert (await decide(replica.address, "before")).reason == policy_pb2.REASON_MISSING_CLICK_ID

        async with grpc.aio.insecure_channel(gateway.address) as channel:
            overview = await gateway_pb2_grpc.GatewayStub(channel).UpdateStrategy(
                policy_pb2.UpdateStrategyRequest(
                    destination="meta_strict", strategy=policy_pb2.STRATEGY_SEND_ALL
                ),
                metadata=(("authorization", f"Bearer {gateway.local_key}"),),
                timeout=10,
            )
        assert [(change.actor, change.destination) for change in overview.changes] == [
            ("local", "meta_strict")
        ]

        for replica in replicas:

            async def sends(address: str = replica.address) -> bool:
                decision = await decide(address, "after")
                return decision.decision == policy_pb2.DECISION_SEND

            await wait_until(sends, 5, f"the replica at {replica.address} never saw the change")

        await second.stop(grace=1)
        replicas.remove(second)
        restarted = await serve_policy(config, listen="127.0.0.1:0")
        replicas.append(restarted)
        # No waiting: a fresh replica reads the store before its first decision.
        decision = await decide(restarted.address, "after-restart")
        assert (decision.decision, decision.strategy) == (
            policy_pb2.DECISION_SEND,
            policy_pb2.STRATEGY_SEND_ALL,
        )
    finally:
        await gateway.stop(grace=1)
        for replica in replicas:
            await replica.stop(grace=1)
