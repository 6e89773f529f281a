"""`python -m benchmarks.store_bench`: what the store costs per batch, on both backends.

Two figures, each on a real backend (a SQLite file in a temporary directory; a redis-server this
module starts on a free port, so other users of the machine's Redis neither disturb nor read
the counts):

- **outbox cycle**: batches of ``--batch`` events accepted (outbox + status in one call), claimed
  as a dispatcher does (one claim per ``--batch``) and completed DELIVERED. Printed: events/s
  through the cycle, and per batch the trips to the backend (SQLite: calls that reached the
  store's thread; Redis: packets the client sent, a pipeline being one) and the statements
  (SQLite: statements the connection ran, each executemany row counting; Redis: commands the
  server ran, from ``INFO commandstats``, a script's inner calls included).
- **dedup claim wait** (SQLite): policy's ``claim_dedup_keys`` batches timed in this process,
  alone, while a second process writes the outbox as fast as it can (the lock, the disk and the
  cores shared), and while a second process only holds the outbox's write lock 20 ms of every
  25 (the lock alone: what the ledger's own file removes).

Only the public ``Store`` methods and the worker/connection every version has are used, so the
same module measures an older checkout too: ``PYTHONPATH=<checkout>/services python -m
benchmarks.store_bench`` ("before"). Figures are printed (and written with ``--json``); nothing
is asserted about them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from signalmesh.store import DeliveryResult, NewEntry, RedisStore, SqliteStore, StatusRecord, Store
from signalmesh.v1 import gateway_pb2, policy_pb2

PREPARED = b"\x0a\x20" + b"p" * 300  # about a prepared Meta event's size
TRACEPARENT = f"00-{'a' * 32}-{'b' * 16}-01"


def batch(start: int, size: int, destination: str = "meta") -> tuple[list[NewEntry], list[StatusRecord]]:
    ids = [f"evt-{n}" for n in range(start, start + size)]
    entries = [NewEntry(destination, event_id, "Purchase", PREPARED, TRACEPARENT) for event_id in ids]
    statuses = [
        StatusRecord(
            *(event_id, destination, "Purchase", policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE, ""),
            gateway_pb2.DELIVERY_STATE_PENDING,
        )
        for event_id in ids
    ]
    return entries, statuses


class Counts:
    """Trips and statements, counted by wrapping what every store version has."""

    def __init__(self) -> None:
        self.trips = 0
        self.statements = 0


async def count_sqlite(store: SqliteStore, counts: Counts) -> None:
    worker: Any = store._worker
    read = worker.read

    async def counted_read(work: Callable[[Any], Any]) -> Any:
        counts.trips += 1
        return await read(work)

    worker.read = counted_read

    def trace(_statement: str) -> None:
        counts.statements += 1

    await read(lambda connection: connection.set_trace_callback(trace))


def count_redis(counts: Counts) -> None:
    from redis.asyncio.connection import AbstractConnection

    send = AbstractConnection.send_packed_command

    async def counted_send(self: Any, command: Any, check_health: bool = True) -> None:
        counts.trips += 1
        await send(self, command, check_health)

    AbstractConnection.send_packed_command = counted_send  # type: ignore[method-assign]


def redis_commands(url: str) -> int:
    import redis

    stats = redis.Redis.from_url(url).info("commandstats")
    return sum(int(value["calls"]) for name, value in stats.items() if name != "cmdstat_info")


async def outbox_cycle(
    store: Store, events: int, size: int, counts: Counts, commands: Callable[[], int]
) -> dict:
    # A warm-up batch (scripts loaded, tables cached) is not counted.
    entries, statuses = batch(-size, size)
    await store.accept(entries, statuses, time.time())
    claimed = await store.claim_outbox("meta", size, 30.0, time.time())
    await store.complete(
        [
            DeliveryResult(e.entry_id, e.event_id, "meta", gateway_pb2.DELIVERY_STATE_DELIVERED)
            for e in claimed
        ],
        time.time(),
    )
    trips, statements, server_commands = counts.trips, counts.statements, commands()
    phases = {"accept": 0.0, "claim": 0.0, "complete": 0.0}
    started = time.perf_counter()
    for start in range(0, events, size):
        entries, statuses = batch(start, size)
        mark = time.perf_counter()
        await store.accept(entries, statuses, time.time())
        phases["accept"] += time.perf_counter() - mark
        mark = time.perf_counter()
        claimed = await store.claim_outbox("meta", size, 30.0, time.time())
        phases["claim"] += time.perf_counter() - mark
        results = [
            DeliveryResult(item.entry_id, item.event_id, "meta", gateway_pb2.DELIVERY_STATE_DELIVERED)
            for item in claimed
        ]
        mark = time.perf_counter()
        await store.complete(results, time.time())
        phases["complete"] += time.perf_counter() - mark
    seconds = time.perf_counter() - started
    batches = events // size
    return {
        "events_per_second": round(events / seconds),
        **{f"{name}_ms_per_batch": round(total * 1000 / batches, 2) for name, total in phases.items()},
        "trips_per_batch": (counts.trips - trips) / batches,
        "statements_per_batch": (counts.statements - statements) / batches
        if counts.statements
        else (commands() - server_commands) / batches,
    }


def _write_outbox(path: str, seconds: float, size: int, ready: Any) -> None:
    """The second process: a gateway writing the outbox back to back for ``seconds``."""

    async def run() -> None:
        store = SqliteStore(Path(path))
        start = 10_000_000
        entries, statuses = batch(start, size, "other")
        await store.accept(entries, statuses, time.time())
        ready.set()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start += size
            entries, statuses = batch(start, size, "other")
            await store.accept(entries, statuses, time.time())
        await store.close()

    asyncio.run(run())


def _hold_outbox_lock(path: str, seconds: float, size: int, ready: Any) -> None:
    """The second process, idle on the CPU: holds the main file's write lock 20 ms of every 25
    (a gateway's accept transaction, without its CPU), so only the lock is measured."""
    SqliteStore(Path(path))  # the schema in place
    connection = sqlite3.connect(path, isolation_level=None, timeout=10)
    ready.set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.execute("BEGIN IMMEDIATE")
        time.sleep(0.020)
        connection.execute("COMMIT")
        time.sleep(0.005)


async def dedup_wait(directory: Path, seconds: float, size: int, *, contended: str) -> dict:
    """Claims timed back to back; ``contended``: "" (alone), "writes" (a second process writing
    the outbox back to back) or "lock" (a second process holding the outbox's write lock)."""
    path = directory / f"dedup-{contended or 'alone'}.db"
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    target = _hold_outbox_lock if contended == "lock" else _write_outbox
    writer = context.Process(target=target, args=(str(path), seconds + 5, size, ready))
    if contended:
        writer.start()
    else:
        ready.set()
    store = SqliteStore(path)
    try:
        ready.wait(60)
        waits = []
        deadline, n = time.monotonic() + seconds, 0
        while time.monotonic() < deadline:
            keys = [f"meta:evt-{n}-{k}" for k in range(size)]
            n += 1
            started = time.perf_counter()
            await store.claim_dedup_keys(keys, 48 * 3600, time.time())
            waits.append((time.perf_counter() - started) * 1000)
    finally:
        if contended:
            writer.terminate()
            writer.join()
        await store.close()
    return {
        "claims": len(waits),
        "mean_ms": round(statistics.fmean(waits), 2),
        "p99_ms": round(sorted(waits)[int(len(waits) * 0.99) - 1], 2),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def main(arguments: argparse.Namespace) -> dict:
    figures: dict[str, Any] = {"batch": arguments.batch, "events": arguments.events}
    with tempfile.TemporaryDirectory(prefix="store-bench-") as directory:
        if arguments.backend in ("sqlite", "both"):
            counts = Counts()
            sqlite = SqliteStore(Path(directory) / "signalmesh.db")
            await count_sqlite(sqlite, counts)
            figures["sqlite"] = await outbox_cycle(
                sqlite, arguments.events, arguments.batch, counts, lambda: 0
            )
            await sqlite.close()
            for contended, name in (
                ("", "alone"),
                ("writes", "beside_outbox_writes"),
                ("lock", "beside_held_lock"),
            ):
                figures[f"sqlite_dedup_claim_{name}"] = await dedup_wait(
                    Path(directory), arguments.seconds, arguments.batch, contended=contended
                )
        if arguments.backend in ("redis", "both") and shutil.which("redis-server"):
            port = free_port()
            server = subprocess.Popen(
                ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
            try:
                url = f"redis://127.0.0.1:{port}/0"
                deadline = time.monotonic() + 10
                while True:
                    try:
                        redis_commands(url)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
                counts = Counts()
                count_redis(counts)
                store = RedisStore(url, namespace="bench")
                figures["redis"] = await outbox_cycle(
                    store, arguments.events, arguments.batch, counts, lambda: redis_commands(url)
                )
                await store.close()
            finally:
                server.terminate()
                server.wait()
    return figures


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.store_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--backend", choices=["sqlite", "redis", "both"], default="both")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="how long the dedup-claim wait is measured"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse(sys.argv[1:])
    result = asyncio.run(main(options))
    print(json.dumps(result, indent=2))
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n")
