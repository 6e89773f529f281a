"""Orphaned-claim recovery against a real SQLite store: a DUPLICATE is acknowledged only when its
first copy reached the outbox (has a status); otherwise this copy is enqueued in its place."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from signalmesh.gateway.accept import key_of
from signalmesh.gateway.orphaned_claims import ORPHAN_DETAIL, OrphanedClaims
from signalmesh.store import SqliteStore
from signalmesh.store.base import StatusRecord
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

RETRY = event_pb2.PreparedEvent(event_id="order-1", event_name="Purchase", destination="meta")
DUPLICATE = policy_pb2.DecisionOutput(
    event_id="order-1",
    destination="meta",
    decision=policy_pb2.DECISION_SKIP,
    reason=policy_pb2.REASON_DUPLICATE,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "signalmesh.db")
    yield opened
    await opened.close()


async def write_first_copys_status(store: SqliteStore) -> None:
    status = StatusRecord(
        "order-1",
        "meta",
        "Purchase",
        policy_pb2.DECISION_SEND,
        policy_pb2.REASON_ELIGIBLE,
        "",
        gateway_pb2.DELIVERY_STATE_PENDING,
        updated_at=time.time(),
    )
    await store.accept([], [status], time.time())


async def test_a_duplicate_of_a_first_copy_with_a_status_stays_a_duplicate(store):
    await write_first_copys_status(store)
    claims = OrphanedClaims(store, wait_seconds=5)
    assert await claims.recover([RETRY], [DUPLICATE]) == [DUPLICATE]


async def test_a_duplicate_whose_first_copy_never_wrote_a_status_is_enqueued_after_the_wait(store):
    claims = OrphanedClaims(store, wait_seconds=0.2)
    started = time.monotonic()
    [decision] = await claims.recover([RETRY], [DUPLICATE])
    assert time.monotonic() - started >= 0.2, "the first copy was given its time to write"
    assert (decision.decision, decision.reason, decision.detail) == (
        policy_pb2.DECISION_SEND,
        policy_pb2.REASON_ELIGIBLE,
        ORPHAN_DETAIL,
    )


async def test_a_first_copy_this_process_enqueued_lately_needs_no_store_read(store):
    claims = OrphanedClaims(store, wait_seconds=0.2)
    claims.enqueued([key_of(RETRY)])
    assert await claims.recover([RETRY], [DUPLICATE]) == [DUPLICATE]


async def test_a_duplicate_waits_for_the_first_copy_this_process_is_writing(store):
    claims = OrphanedClaims(store, wait_seconds=10)
    writing = asyncio.Event()

    async def first_copy() -> None:
        with claims.writing([key_of(RETRY)]):
            writing.set()
            await write_first_copys_status(store)

    writer = asyncio.ensure_future(first_copy())
    await writing.wait()
    assert await asyncio.wait_for(claims.recover([RETRY], [DUPLICATE]), 5) == [DUPLICATE]
    await writer


class CountingStore(SqliteStore):
    """A real SQLite store that counts its status reads."""

    reads = 0

    async def event_statuses(self, event_ids):  # type: ignore[no-untyped-def]
        self.reads += 1
        return await super().event_statuses(event_ids)

    async def event_status(self, event_id):  # type: ignore[no-untyped-def]
        self.reads += 1
        return await super().event_status(event_id)


async def test_a_batch_of_duplicates_is_checked_in_one_status_read(tmp_path):
    store = CountingStore(tmp_path / "signalmesh.db")
    try:
        ids = [f"order-{n}" for n in range(50)]
        statuses = [
            StatusRecord(
                *(event_id, "meta", "Purchase", policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE, ""),
                gateway_pb2.DELIVERY_STATE_PENDING,
            )
            for event_id in ids
        ]
        await store.accept([], statuses, time.time())
        retries = [
            event_pb2.PreparedEvent(event_id=event_id, event_name="Purchase", destination="meta")
            for event_id in ids
        ]
        duplicates = [
            policy_pb2.DecisionOutput(
                event_id=event_id,
                destination="meta",
                decision=policy_pb2.DECISION_SKIP,
                reason=policy_pb2.REASON_DUPLICATE,
            )
            for event_id in ids
        ]

        assert await OrphanedClaims(store, wait_seconds=5).recover(retries, duplicates) == duplicates
        assert store.reads == 1
    finally:
        await store.close()
