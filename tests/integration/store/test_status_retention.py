"""Statuses do not pile up forever: SQLite prunes delivered and skipped ones past the retention,
Redis gives every status key the retention as its TTL. Real SQLite file, real Redis."""

from __future__ import annotations

from pathlib import Path

import redis
from signalmesh.store import RedisStore, SqliteStore
from signalmesh.v1 import gateway_pb2, policy_pb2

from tests.integration.store.test_store_contract import LEASE, T0, entry, result, status

DELIVERED = gateway_pb2.DELIVERY_STATE_DELIVERED
SKIPPED = gateway_pb2.DELIVERY_STATE_SKIPPED
REJECTED = gateway_pb2.DELIVERY_STATE_REJECTED


async def test_sqlite_prunes_old_delivered_and_skipped_statuses_and_keeps_the_rest(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        skipped = status("skipped-1", decision=policy_pb2.DECISION_SKIP, state=SKIPPED)
        entries = [entry("delivered-1"), entry("rejected-1"), entry("pending-1")]
        await store.accept(entries, [skipped, *(status(item.event_id) for item in entries)], T0)
        delivered, rejected, _ = await store.claim_outbox("meta", 10, LEASE, T0)
        await store.complete([result(delivered, DELIVERED, "ok"), result(rejected, REJECTED, "no")], T0 + 1)

        assert await store.prune_statuses(updated_before=T0) == 0, "nothing is older than T0"
        assert await store.prune_statuses(updated_before=T0 + 100) == 2
        assert await store.event_status("delivered-1") == []
        assert await store.event_status("skipped-1") == []
        # What is still moving, and what an operator must look at, stays.
        assert [item.state for item in await store.event_status("rejected-1")] == [REJECTED]
        assert len(await store.event_status("pending-1")) == 1
        assert await store.outbox_depth() == 1
    finally:
        await store.close()


async def test_sqlite_prunes_at_most_the_limit_per_call(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        skipped = [
            status(f"skipped-{index}", decision=policy_pb2.DECISION_SKIP, state=SKIPPED) for index in range(5)
        ]
        await store.accept([], skipped, T0)
        assert await store.prune_statuses(updated_before=T0 + 1, limit=3) == 3
        assert await store.prune_statuses(updated_before=T0 + 1, limit=3) == 2
    finally:
        await store.close()


async def test_redis_status_keys_expire_after_the_retention(redis_url: str, redis_namespace: str) -> None:
    store = RedisStore(redis_url, namespace=redis_namespace, status_ttl_seconds=3600)
    client = redis.Redis.from_url(redis_url)
    try:
        await store.accept([entry("ttl-1")], [status("ttl-1")], T0)
        ttl = client.ttl(f"{redis_namespace}:status:ttl-1")
        assert 0 < ttl <= 3600
        assert await store.prune_statuses(updated_before=T0 + 10**9) == 0  # Redis expires them itself
    finally:
        client.close()
        await store.close()


async def test_the_gateway_housekeeping_prunes_by_the_configured_retention(tmp_path: Path) -> None:
    from signalmesh.gateway.store_housekeeping import StoreHousekeeping

    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        old = status("old-1", decision=policy_pb2.DECISION_SKIP, state=SKIPPED)
        await store.accept([], [old], T0)
        await store.accept([], [status("new-1", decision=policy_pb2.DECISION_SKIP, state=SKIPPED)], T0 + 50)
        housekeeping = StoreHousekeeping(store, ["meta"], status_retention_seconds=60, clock=lambda: T0 + 100)
        assert await housekeeping.prune() == 1
        assert await store.event_status("old-1") == [] and len(await store.event_status("new-1")) == 1
        await housekeeping.stop()
    finally:
        await store.close()
