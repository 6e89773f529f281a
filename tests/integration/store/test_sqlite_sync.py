"""What SQLite syncs to the disk: every write but a dispatcher's lease (store.sqlite_thread). The
lease still survives kill -9 of the process that took it, and no write after it inherits its
level. Real SQLite files, a real process killed."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from signalmesh.store import SqliteStore

from tests.integration.store.test_store_contract import LEASE, T0, entry, result, status

FULL = 2

_CLAIM_THEN_HANG = """
import asyncio, sys
from pathlib import Path
from signalmesh.store import NewEntry, SqliteStore

async def main():
    store = SqliteStore(Path(sys.argv[1]))
    claimed = await store.claim_outbox("meta", 10, float(sys.argv[3]), float(sys.argv[2]))
    print(len(claimed), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_lease_survives_kill_9_of_the_process_that_took_it(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    store = SqliteStore(path)
    await store.accept([entry("evt-1"), entry("evt-2")], [status("evt-1"), status("evt-2")], T0)
    await store.close()

    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", _CLAIM_THEN_HANG, str(path), str(T0), str(LEASE)),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), timeout=30) == b"2\n"
    process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(process.wait(), timeout=30) == -signal.SIGKILL

    store = SqliteStore(path)
    try:
        assert await store.claim_outbox("meta", 10, LEASE, T0 + 1) == [], "still leased"
        again = await store.claim_outbox("meta", 10, LEASE, T0 + LEASE)
        assert [item.event_id for item in again] == ["evt-1", "evt-2"]
    finally:
        await store.close()


async def test_every_write_after_a_lease_is_synced_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:

        async def level() -> int:
            (value,) = await store._worker.read(
                lambda connection: connection.execute("PRAGMA synchronous").fetchone()
            )
            return int(value)

        assert await level() == FULL
        await store.accept([entry("evt-1")], [status("evt-1")], T0)
        (claimed,) = await store.claim_outbox("meta", 10, LEASE, T0)
        assert await level() == FULL, "the connection is left as every other write needs it"
        await store.complete([result(claimed, 3, "ok")], T0 + 1)
        assert await level() == FULL
    finally:
        await store.close()
