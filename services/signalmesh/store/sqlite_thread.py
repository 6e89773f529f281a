"""The thread a SQLite store does all its work on: one connection, one transaction per call.

sqlite3 blocks, so every call runs on one dedicated worker thread that owns the store's only
connection: the event loop never waits on the disk and no connection crosses threads. Writes
take the write lock up front (BEGIN IMMEDIATE), so processes sharing the file never
interleave a read-then-write; another process's lock is waited for up to the busy timeout.

A write is synced to the disk before it returns (synchronous=FULL), except one its caller marks
``durable=False``: a dispatcher's lease, whose loss on power failure only makes its entries due
again, as the lease's expiry would (the process holding it died with the machine). In WAL mode
such a commit still survives a crash of the process (it is in the OS's hands when COMMIT
returns), and the next synced commit syncs it too (the WAL is one file, written in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from signalmesh.store import sqlite_schema

T = TypeVar("T")

_FULL = "PRAGMA synchronous = FULL"
_NORMAL = "PRAGMA synchronous = NORMAL"


class SqliteWorker:
    def __init__(
        self,
        path: Path,
        busy_timeout_seconds: float,
        connect: Callable[[str, float], sqlite3.Connection] = sqlite_schema.connect,
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="signalmesh-sqlite", initializer=_name_os_thread
        )
        # Submitted first, so it has run before any call queued behind it on the same thread.
        self._connection: Future[sqlite3.Connection] = self._executor.submit(
            connect, str(path), busy_timeout_seconds
        )
        self._closed = False
        # Whether the connection syncs every commit (synchronous=FULL), as ``connect`` leaves it;
        # only touched on the worker thread.
        self._synced = True
        # Calls that reached the thread (each is one hop from the loop): what the store
        # microbenchmark and the tests count as round trips.
        self.round_trips = 0

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on the worker thread (one statement reads a consistent snapshot)."""
        if self._closed:
            raise RuntimeError(f"the SQLite store at {self.path} is closed")
        self.round_trips += 1
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, lambda: work(self._connection.result())
        )

    async def write(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run ``work`` on the worker thread in one write transaction: all of it or none of it;
        synced to the disk before it returns unless ``durable`` is False (see the module)."""

        def in_transaction(connection: sqlite3.Connection) -> T:
            if not durable:
                self._synced = False
                connection.execute(_NORMAL)
            elif not self._synced:
                # A lease's write failed to set the level back: this write does it first.
                connection.execute(_FULL)
                self._synced = True
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    result = work(connection)
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
            finally:
                if not durable:
                    # Between writes the connection is always at FULL.
                    connection.execute(_FULL)
                    self._synced = True
            return result

        return await self.read(in_transaction)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def close_connection() -> None:
            if self._connection.exception() is None:
                self._connection.result().close()

        # Queued behind every call already submitted, so those finish first.
        await asyncio.get_running_loop().run_in_executor(self._executor, close_connection)
        self._executor.shutdown(wait=False)


def _name_os_thread() -> None:
    """Give the worker's OS thread a name (Python names only its own thread object), so
    ``/proc/PID/task/*/comm`` and ``make profile``'s CPU by thread tell the SQLite thread's CPU
    from the event loop's. Best effort: not every system has the file."""
    with contextlib.suppress(OSError):
        Path("/proc/thread-self/comm").write_text("sm-sqlite")


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only (it holds hashed personal data); SQLite
    gives the -wal and -shm files the same mode."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
