"""The SQLite worker's OS thread carries its own name, so CPU per thread (``/proc``, py-spy,
``make profile``) tells the store's work from the event loop's. Real SQLite file, real thread."""

from __future__ import annotations

import threading
from pathlib import Path

from signalmesh.store import SqliteStore


async def test_the_worker_thread_is_named_for_the_os(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        name, ident = await store._worker.read(
            lambda connection: (Path("/proc/thread-self/comm").read_text().strip(), threading.get_ident())
        )
    finally:
        await store.close()
    assert ident != threading.get_ident(), "the call ran on the worker thread"
    assert name == "sm-sqlite"
    assert Path("/proc/thread-self/comm").read_text().strip() != "sm-sqlite", "the loop keeps its own"
