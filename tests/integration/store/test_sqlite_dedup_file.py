"""SQLite specifics of a batching store: the dedup ledger in a file of its own (policy's claims
never wait for the outbox's write lock), claims an older signalmesh kept in the main file moved
over at first open, and a whole batch in one trip to the store's thread."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from signalmesh.store import DeliveryResult, SqliteStore

from tests.integration.store.test_store_contract import DELIVERED, LEASE, T0, WINDOW, enqueue, entry


async def test_dedup_claims_go_to_their_own_file_and_a_gateway_never_opens_it(tmp_path: Path) -> None:
    gateway, policy = SqliteStore(tmp_path / "signalmesh.db"), SqliteStore(tmp_path / "signalmesh.db")
    try:
        await enqueue(gateway, entry("evt-1"))
        assert not (tmp_path / "signalmesh-dedup.db").exists()

        assert await policy.claim_dedup_keys(["meta:evt-1"], WINDOW, T0) == [True]

        assert policy.dedup_path == tmp_path / "signalmesh-dedup.db"
        assert stat.S_IMODE(policy.dedup_path.stat().st_mode) == 0o600
        with (
            sqlite3.connect(policy.dedup_path) as ledger,
            sqlite3.connect(tmp_path / "signalmesh.db") as main,
        ):
            assert ledger.execute("SELECT key FROM dedup_claims").fetchall() == [("meta:evt-1",)]
            assert main.execute("SELECT COUNT(*) FROM dedup_claims").fetchone() == (0,)
    finally:
        await gateway.close()
        await policy.close()


async def test_a_dedup_claim_does_not_wait_for_the_outbox_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    # A busy timeout far shorter than the lock is held: sharing the lock would raise "locked".
    store = SqliteStore(path, busy_timeout_seconds=0.05)
    await enqueue(store, entry("evt-1"))
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process writing the outbox, mid-transaction
        assert await store.claim_dedup_keys(["meta:evt-1", "meta:evt-2"], WINDOW, T0) == [True, True]
        assert await store.dedup_keys_claimed(["meta:evt-1"], WINDOW, T0) == [True]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        await store.close()


async def test_claims_kept_in_the_main_file_move_to_the_ledger_at_first_open(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    older = SqliteStore(path)
    await enqueue(older, entry("evt-1"))  # creates the main file and its (old) dedup_claims table
    await older.close()
    with sqlite3.connect(path) as main:  # what an older signalmesh left there
        main.executemany(
            "INSERT INTO dedup_claims (key, claimed_at) VALUES (?, ?)",
            [("meta:old", T0), ("meta:expired", T0 - 2 * WINDOW)],
        )

    store = SqliteStore(path)
    try:
        assert await store.claim_dedup_keys(["meta:old", "meta:expired", "meta:new"], WINDOW, T0 + 1) == [
            False,
            True,
            True,
        ]
        with sqlite3.connect(path) as main:
            assert main.execute("SELECT COUNT(*) FROM dedup_claims").fetchone() == (0,)
    finally:
        await store.close()
    reopened = SqliteStore(path)
    try:
        assert await reopened.dedup_keys_claimed(["meta:old", "meta:new"], WINDOW, T0 + 2) == [True, True]
    finally:
        await reopened.close()


async def test_a_claim_and_a_completion_of_a_whole_batch_are_one_trip_each(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        await enqueue(store, *(entry(f"evt-{n}") for n in range(200)))
        before = store.round_trips
        claimed = await store.claim_outbox("meta", 200, LEASE, T0)
        await store.complete(
            [DeliveryResult(item.entry_id, item.event_id, "meta", DELIVERED) for item in claimed], T0 + 1
        )
        assert (len(claimed), store.round_trips - before) == (200, 2)
        assert await store.outbox_depth() == 0
    finally:
        await store.close()
