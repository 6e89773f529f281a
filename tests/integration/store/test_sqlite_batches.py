"""SQLite writes a batch as a few multi-row statements (store.sqlite_batch): a batch larger than
any one statement, under SQLite's default placeholder bound and under old builds' 999 (fewer
rows per statement), is accepted, claimed and completed exactly as row by row. Real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from signalmesh.store import DeliveryPayload, DeliveryResult, SqliteStore
from signalmesh.v1 import gateway_pb2

from tests.integration.store.test_store_contract import LEASE, T0, entry, result, status

DELIVERED = gateway_pb2.DELIVERY_STATE_DELIVERED
RETRYING = gateway_pb2.DELIVERY_STATE_RETRYING
DEAD = gateway_pb2.DELIVERY_STATE_DEAD_LETTERED
REJECTED = gateway_pb2.DELIVERY_STATE_REJECTED


@pytest.mark.parametrize("placeholders", [None, 999])
async def test_a_batch_larger_than_one_statement_is_accepted_claimed_and_completed_whole(
    tmp_path: Path, placeholders: int | None
) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        if placeholders is not None:
            await store._worker.read(
                lambda connection: connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, placeholders)
            )
        ids = [f"evt-{n:04d}" for n in range(700)]
        await store.accept([entry(event_id) for event_id in ids], [status(event_id) for event_id in ids], T0)

        claimed = await store.claim_outbox("meta", 1000, LEASE, T0)
        assert [item.event_id for item in claimed] == ids, "every entry, oldest first"
        assert [int(item.entry_id) for item in claimed] == sorted(int(item.entry_id) for item in claimed)
        assert await store.claim_outbox("meta", 1000, LEASE, T0 + 1) == [], "all of them leased"

        kept = DeliveryPayload('{"data": []}', '{"events_received": 1}', 200, 700, 0)
        results: list[DeliveryResult] = []
        for n, item in enumerate(claimed):
            if n % 10 == 0:
                results.append(result(item, RETRYING, "HTTP 503", T0 + 60))
            elif n % 10 == 1:
                results.append(result(item, DEAD, "gave up"))
            elif n % 10 == 2:
                results.append(result(item, REJECTED, f"bad field {n}"))
            else:
                # Two responses among the delivered ones: two groups of shared new values.
                delivered = result(item, DELIVERED, "ok" if n % 2 else "ok (deduplicated)")
                results.append(DeliveryResult(**{**_fields(delivered), "payload": kept if n % 3 else None}))
        await store.complete(results, T0 + 2)

        statuses = {record.event_id: record for record in await store.event_statuses(ids)}
        for n, event_id in enumerate(ids):
            record = statuses[event_id]
            expected = results[n]
            assert (record.state, record.attempts, record.platform_response, record.updated_at) == (
                expected.state,
                1,
                expected.platform_response,
                T0 + 2,
            ), event_id
        assert await store.outbox_depth() == 70, "only the retrying entries stay"
        assert len(await store.dead_letters(limit=1000)) == 140
        for n in (3, 4, 5):
            payloads = await store.delivery_payloads(ids[n])
            assert [record.payload for record in payloads] == ([kept] if n % 3 else [])
        again = await store.claim_outbox("meta", 1000, LEASE, T0 + 60)
        assert [item.event_id for item in again] == ids[::10]
        assert {item.attempts for item in again} == {1}
    finally:
        await store.close()


async def test_two_entries_of_one_status_completed_together_settle_it_as_row_by_row(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        # The same event accepted twice at one destination: two entries, one status.
        await store.accept(
            [entry("evt-1"), entry("evt-1"), entry("evt-2")], [status("evt-1"), status("evt-2")], T0
        )
        first, second, other = await store.claim_outbox("meta", 10, LEASE, T0)
        await store.complete(
            [result(first, DELIVERED, "ok"), result(second, REJECTED, "no"), result(other, DELIVERED, "ok")],
            T0 + 1,
        )

        (record,) = await store.event_status("evt-1")
        # Results are applied from the last to the first: the first result given is the last written.
        assert (record.state, record.platform_response) == (DELIVERED, "ok")
        assert [item.state for item in await store.event_status("evt-2")] == [DELIVERED]
        assert await store.outbox_depth() == 0
    finally:
        await store.close()


async def test_a_file_indexed_by_an_older_version_prunes_through_the_partial_index(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    await SqliteStore(path).close()
    # What an older signalmesh left: every status indexed by age.
    connection = sqlite3.connect(path)
    connection.execute("DROP INDEX event_status_forgettable")
    connection.execute("CREATE INDEX event_status_by_age ON event_status (updated_at)")
    connection.commit()
    connection.close()

    store = SqliteStore(path)
    try:
        await store.accept([entry("evt-1"), entry("evt-2")], [status("evt-1"), status("evt-2")], T0)
        delivered, _ = await store.claim_outbox("meta", 10, LEASE, T0)
        await store.complete([result(delivered, DELIVERED, "ok")], T0 + 1)
        assert await store.prune_statuses(updated_before=T0 + 100) == 1
        assert await store.event_status("evt-1") == []
        assert len(await store.event_status("evt-2")) == 1
    finally:
        await store.close()

    connection = sqlite3.connect(path)
    indexes = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    plan = connection.execute(
        "EXPLAIN QUERY PLAN SELECT event_id FROM event_status "
        f"WHERE updated_at < 1 AND state IN ({DELIVERED}, {gateway_pb2.DELIVERY_STATE_SKIPPED}) LIMIT 10"
    ).fetchall()
    connection.close()
    assert "event_status_by_age" not in indexes and "event_status_forgettable" in indexes
    assert "USING INDEX event_status_forgettable" in str(plan)


def _fields(item: DeliveryResult) -> dict[str, object]:
    return {name: getattr(item, name) for name in DeliveryResult.__slots__}
