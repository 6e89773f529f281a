"""SQLite backend of the state interface: the embedded default, one file shared by all processes.

Each method is one transaction on the store's worker thread (``sqlite_thread``); the schema
and its claim index are in ``sqlite_schema``, the monitoring statements in
``sqlite_monitoring``, the strategy setting's in ``sqlite_strategy``. Every time is the caller's ``now``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from itertools import chain, starmap
from pathlib import Path
from typing import TypeVar

from signalmesh.monitoring.history import HistoryDelta
from signalmesh.store import sqlite_batch as batch
from signalmesh.store import sqlite_monitoring as monitoring
from signalmesh.store import sqlite_schema
from signalmesh.store.api_keys import SqliteApiKeys
from signalmesh.store.base import (
    DeliveryPayload,
    DeliveryRecord,
    DeliveryResult,
    NewEntry,
    OutboxEntry,
    PayloadRecord,
    StatusRecord,
)
from signalmesh.store.history_rows import checked_increments
from signalmesh.store.sqlite_monitoring import SqliteMonitoring
from signalmesh.store.sqlite_strategy import SqliteStrategy
from signalmesh.store.sqlite_thread import SqliteWorker
from signalmesh.v1 import gateway_pb2, policy_pb2

T = TypeVar("T")

# Keeps every IN (...) list well under SQLite's bound on "?" placeholders.
_CHUNK = 500
_PENDING = gateway_pb2.DELIVERY_STATE_PENDING
_RETRYING = gateway_pb2.DELIVERY_STATE_RETRYING
_DEAD = gateway_pb2.DELIVERY_STATE_DEAD_LETTERED
_STATUS_COLUMNS = (
    "event_id, destination, event_name, decision, reason, detail, state, attempts, platform_response, "
    "trace_id, updated_at, match_quality"
)
# A claim older than the window is expired: the upsert takes it over; a live one changes nothing.
_CLAIM_DEDUP_KEY = (
    "INSERT INTO dedup_claims (key, claimed_at) VALUES (?, ?) ON CONFLICT (key) "
    "DO UPDATE SET claimed_at = excluded.claimed_at WHERE dedup_claims.claimed_at <= ?"
)
# Columns in OutboxEntry's field order.
_CLAIMABLE = (
    "SELECT CAST(entry_id AS TEXT), destination, event_id, event_name, prepared, traceparent, attempts, "
    "enqueued_at FROM outbox WHERE destination = ? AND available_at <= ? "
    "ORDER BY available_at, entry_id LIMIT ?"
)
# The lease of the rows _CLAIMABLE just read (the same range and LIMIT under the same write lock,
# so the same rows): one statement of one text, whatever the claim's size.
_LEASE = (
    "UPDATE outbox SET available_at = ? WHERE entry_id IN (SELECT entry_id FROM outbox "
    "WHERE destination = ? AND available_at <= ? ORDER BY available_at, entry_id LIMIT ?)"
)
_ENQUEUE = (
    "INSERT INTO outbox (destination, event_id, event_name, prepared, traceparent, available_at, "
    "enqueued_at) VALUES {values}"
)
_RECORD_STATUSES = f"INSERT OR REPLACE INTO event_status ({_STATUS_COLUMNS}) VALUES {{values}}"
_UPDATE_STATUS = (
    "UPDATE event_status SET state = ?, attempts = ?, platform_response = ?, updated_at = ? "
    "WHERE event_id = ? AND destination = ? AND event_name = ?"
)
# _UPDATE_STATUS for many keys sharing the same new values; the keys are a VALUES list (the
# primary key is searched once per key).
_UPDATE_STATUSES = (
    "UPDATE event_status SET state = ?, attempts = ?, platform_response = ?, updated_at = ? "
    "WHERE (event_id, destination, event_name) IN (SELECT column1, column2, column3 FROM (VALUES {values}))"
)
_BURY = (
    "INSERT INTO dead_letters (entry_id, destination, event_id, event_name, prepared, traceparent, "
    "attempts, enqueued_at, last_response, reason, dead_at) SELECT entry_id, destination, event_id, "
    "event_name, prepared, traceparent, ?, enqueued_at, last_response, ?, ? FROM outbox WHERE entry_id = ?"
)
# Columns in StatusRecord's field order. Without a status row the entry was still a SEND.
_DEAD_LETTERS = (
    "SELECT dead.event_id, dead.destination, dead.event_name, "
    f"COALESCE(status.decision, {policy_pb2.DECISION_SEND}), "
    f"COALESCE(status.reason, {policy_pb2.REASON_UNSPECIFIED}), COALESCE(status.detail, ''), "
    f"COALESCE(status.state, {_DEAD}), "
    "dead.attempts, dead.reason, COALESCE(status.trace_id, ''), dead.dead_at, "
    "COALESCE(status.match_quality, 0.0), CAST(dead.entry_id AS TEXT), dead.prepared "
    "FROM dead_letters AS dead LEFT JOIN event_status AS status "
    "ON status.event_id = dead.event_id AND status.destination = dead.destination "
    "AND status.event_name = dead.event_name "
)
_KEEP_PAYLOAD = (
    "INSERT OR REPLACE INTO delivery_payloads (event_id, destination, event_name, request_body, "
    "response_body, response_status, request_events, request_index, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PAYLOADS = (
    "SELECT destination, event_name, request_body, response_body, response_status, request_events, "
    "request_index, recorded_at FROM delivery_payloads WHERE event_id = ? ORDER BY destination, event_name"
)
# The entry keeps its id (AUTOINCREMENT never hands it out again) and its last response.
_RESURRECT = (
    "INSERT INTO outbox (entry_id, destination, event_id, event_name, prepared, traceparent, attempts, "
    "available_at, enqueued_at, last_response) SELECT entry_id, destination, event_id, event_name, "
    "prepared, traceparent, 0, ?, ?, last_response FROM dead_letters WHERE entry_id IN ({marks})"
)


class SqliteStore(SqliteMonitoring, SqliteStrategy, SqliteApiKeys):
    """The ``Store`` on one SQLite file (WAL, synchronous=FULL but for a claim's lease, see
    ``sqlite_thread``). The monitoring methods
    (history, deliveries, alerts, leases…) come from ``SqliteMonitoring``, the shared strategy
    setting from ``SqliteStrategy``."""

    def __init__(
        self, path: Path, busy_timeout_seconds: float = 10.0, dedup_path: Path | None = None
    ) -> None:
        self.path = Path(path)
        # The dedup ledger lives in a file of its own (``<name>-dedup.db`` beside the main one by
        # default) so policy's claims never wait for the outbox's write lock; it is opened on
        # the first dedup call, so a gateway never opens it.
        self.dedup_path = (
            Path(dedup_path) if dedup_path is not None else sqlite_schema.dedup_path_for(self.path)
        )
        self._busy_timeout = busy_timeout_seconds
        self._worker = SqliteWorker(self.path, busy_timeout_seconds)
        self._dedup_worker: SqliteWorker | None = None

    @property
    def round_trips(self) -> int:
        """Calls that reached a worker thread, both files together (benchmarks and tests)."""
        return self._worker.round_trips + (self._dedup_worker.round_trips if self._dedup_worker else 0)

    def _dedup(self) -> SqliteWorker:
        if self._dedup_worker is None:
            main_path = str(self.path)
            self._dedup_worker = SqliteWorker(
                self.dedup_path,
                self._busy_timeout,
                lambda path, timeout: sqlite_schema.connect_dedup(path, timeout, main_path),
            )
        return self._dedup_worker

    # --- dedup ledger ---
    async def claim_dedup_keys(self, keys: Sequence[str], window_seconds: float, now: float) -> list[bool]:
        expired_before = now - window_seconds

        def work(connection: sqlite3.Connection) -> list[bool]:
            claimed: list[bool] = []
            seen: set[str] = set()
            for key in keys:
                first = key not in seen
                seen.add(key)
                claimed.append(
                    first and connection.execute(_CLAIM_DEDUP_KEY, (key, now, expired_before)).rowcount == 1
                )
            # Expired claims mean nothing; drop a bounded number per call so the ledger stays small.
            connection.execute(
                "DELETE FROM dedup_claims WHERE key IN "
                "(SELECT key FROM dedup_claims WHERE claimed_at <= ? LIMIT ?)",
                (expired_before, max(100, 2 * len(keys))),
            )
            return claimed

        return await self._dedup().write(work)

    async def dedup_keys_claimed(self, keys: Sequence[str], window_seconds: float, now: float) -> list[bool]:
        def work(connection: sqlite3.Connection) -> list[bool]:
            live: set[str] = set()
            for chunk in _chunks(list(dict.fromkeys(keys))):
                query = f"SELECT key FROM dedup_claims WHERE claimed_at > ? AND key IN ({_marks(chunk)})"
                live.update(key for (key,) in connection.execute(query, (now - window_seconds, *chunk)))
            return [key in live for key in keys]

        return await self._dedup().read(work)

    # --- outbox and status ---
    async def accept(
        self,
        entries: Sequence[NewEntry],
        statuses: Sequence[StatusRecord],
        now: float,
        history: HistoryDelta | None = None,
    ) -> None:
        increments = checked_increments(history)
        outbox_rows = [
            (item.destination, item.event_id, item.event_name, item.prepared, item.traceparent, now, now)
            for item in entries
        ]
        status_rows = [
            (
                item.event_id,
                item.destination,
                item.event_name,
                item.decision,
                item.reason,
                item.detail,
                item.state,
                item.attempts,
                item.platform_response,
                item.trace_id,
                item.updated_at or now,
                item.match_quality,
            )
            for item in statuses
        ]

        def work(connection: sqlite3.Connection) -> None:
            # Many rows per statement, in row order: the same ids and the same last-one-wins
            # replacements as a statement per row.
            batch.insert_rows(connection, _ENQUEUE, outbox_rows, 7)
            batch.insert_rows(connection, _RECORD_STATUSES, status_rows, 12)
            monitoring.add_history(connection, increments)

        await self._worker.write(work)

    async def claim_outbox(
        self, destination: str, limit: int, lease_seconds: float, now: float
    ) -> list[OutboxEntry]:
        def work(connection: sqlite3.Connection) -> list[OutboxEntry]:
            claimed = [*starmap(OutboxEntry, connection.execute(_CLAIMABLE, (destination, now, limit)))]
            # One UPDATE for the whole claim.
            if claimed:
                connection.execute(_LEASE, (now + lease_seconds, destination, now, len(claimed)))
            return claimed

        # A lease lost with the machine's power only makes its entries due again: not synced.
        return await self._worker.write(work, durable=False) if limit > 0 else []

    async def complete(
        self,
        results: Sequence[DeliveryResult],
        now: float,
        history: HistoryDelta | None = None,
        deliveries: Sequence[DeliveryRecord] = (),
    ) -> None:
        DeliveryResult.check_states(results)
        increments = checked_increments(history)

        # The first result of an entry counts; a repeat within one call is the same completion.
        by_entry = {int(result.entry_id): result for result in reversed(results)}

        def work(connection: sqlite3.Connection) -> None:
            rows: dict[int, tuple[str, str, str, int]] = {}
            limit = batch.placeholder_limit(connection)
            for chunk in batch.in_chunks(list(by_entry), limit):
                query = (
                    "SELECT entry_id, destination, event_id, event_name, attempts FROM outbox "
                    f"WHERE entry_id IN ({batch.marks(len(chunk))})"
                )
                for entry_id, destination, event_id, event_name, attempts in connection.execute(query, chunk):
                    rows[entry_id] = (destination, event_id, event_name, attempts)
            retries: list[tuple[int, float, str, int]] = []
            burials: list[tuple[int, str, float, int]] = []
            removals: list[int] = []
            statuses: list[tuple[int, int, str, float, str, str, str]] = []
            payloads: list[tuple[object, ...]] = []
            for entry_id, result in by_entry.items():
                row = rows.get(entry_id)
                if row is None or row[0] != result.destination:
                    continue  # already completed, e.g. by a worker whose lease had expired
                _, event_id, event_name, attempts = row[0], row[1], row[2], row[3] + 1
                if result.state == _RETRYING:
                    retries.append((attempts, result.next_attempt_at, result.platform_response, entry_id))
                else:
                    # Dead letters: given up, or refused by the platform (permanent; kept so it
                    # can be inspected and replayed once its cause is fixed).
                    if result.state in (_DEAD, gateway_pb2.DELIVERY_STATE_REJECTED):
                        burials.append((attempts, result.platform_response, now, entry_id))
                    removals.append(entry_id)
                statuses.append(
                    (
                        result.state,
                        attempts,
                        result.platform_response,
                        now,
                        event_id,
                        result.destination,
                        event_name,
                    )
                )
                if (kept := result.payload) is not None:
                    payloads.append(
                        (
                            event_id,
                            result.destination,
                            event_name,
                            kept.request_body,
                            kept.response_body,
                            kept.response_status,
                            kept.request_events,
                            kept.request_index,
                            now,
                        )
                    )
            # One statement per kind of change, each over the whole batch.
            connection.executemany(
                "UPDATE outbox SET attempts = ?, available_at = ?, last_response = ? WHERE entry_id = ?",
                retries,
            )
            connection.executemany(_BURY, burials)
            for chunk in batch.in_chunks(removals, limit):
                connection.execute(f"DELETE FROM outbox WHERE entry_id IN ({batch.marks(len(chunk))})", chunk)
            _update_statuses(connection, statuses, limit)
            # Row by row: these rows are wide (bodies), and one statement over many copies them
            # all at once, which costs more than it saves.
            connection.executemany(_KEEP_PAYLOAD, payloads)
            monitoring.add_history(connection, increments)
            monitoring.add_deliveries(connection, deliveries)

        await self._worker.write(work)

    async def event_status(self, event_id: str) -> list[StatusRecord]:
        query = (
            f"SELECT {_STATUS_COLUMNS} FROM event_status WHERE event_id = ? ORDER BY destination, event_name"
        )
        return await self._worker.read(
            lambda connection: [StatusRecord(*row) for row in connection.execute(query, (event_id,))]
        )

    async def event_statuses(self, event_ids: Sequence[str]) -> list[StatusRecord]:
        wanted = sorted(set(event_ids))

        def work(connection: sqlite3.Connection) -> list[StatusRecord]:
            records = []
            for chunk in _chunks(wanted):
                query = f"SELECT {_STATUS_COLUMNS} FROM event_status WHERE event_id IN ({_marks(chunk)})"
                records += [StatusRecord(*row) for row in connection.execute(query, chunk)]
            return sorted(
                records, key=lambda record: (record.event_id, record.destination, record.event_name)
            )

        return await self._worker.read(work) if wanted else []

    async def delivery_payloads(self, event_id: str) -> list[PayloadRecord]:
        def work(connection: sqlite3.Connection) -> list[PayloadRecord]:
            return [
                PayloadRecord(event_id, destination, event_name, DeliveryPayload(*kept), recorded_at)
                for destination, event_name, *kept, recorded_at in connection.execute(_PAYLOADS, (event_id,))
            ]

        return await self._worker.read(work)

    async def outbox_depth(self, destination: str | None = None) -> int:
        query = "SELECT COUNT(*) FROM outbox" + ("" if destination is None else " WHERE destination = ?")
        parameters = () if destination is None else (destination,)
        return await self._worker.read(
            lambda connection: int(connection.execute(query, parameters).fetchone()[0])
        )

    async def outbox_depths(self) -> dict[str, int]:
        query = "SELECT destination, COUNT(*) FROM outbox GROUP BY destination"
        return await self._worker.read(
            lambda connection: {str(name): int(count) for name, count in connection.execute(query)}
        )

    async def dead_letters(self, destination: str | None = None, limit: int = 100) -> list[StatusRecord]:
        where, parameters = (
            ("WHERE dead.destination = ?", (destination,)) if destination is not None else ("", ())
        )
        query = f"{_DEAD_LETTERS} {where} ORDER BY dead.dead_at, dead.entry_id LIMIT ?"
        return await self._worker.read(
            lambda connection: [StatusRecord(*row) for row in connection.execute(query, (*parameters, limit))]
        )

    async def replay_dead_letters(self, entry_ids: Sequence[str] | None, now: float) -> int:
        # Anything but a rowid (another backend's id, a typo) is simply unknown here.
        wanted = None if entry_ids is None else [int(item) for item in entry_ids if _is_rowid(item)]

        def work(connection: sqlite3.Connection) -> int:
            if wanted is None:
                ids = [entry_id for (entry_id,) in connection.execute("SELECT entry_id FROM dead_letters")]
            else:
                ids = wanted
            moved = 0
            for chunk in _chunks(ids):
                marks = _marks(chunk)
                query = (
                    f"SELECT event_id, destination, event_name FROM dead_letters WHERE entry_id IN ({marks})"
                )
                found = connection.execute(query, chunk).fetchall()
                connection.execute(_RESURRECT.format(marks=marks), (now, now, *chunk))
                connection.executemany(
                    "UPDATE event_status SET state = ?, attempts = 0, updated_at = ? "
                    "WHERE event_id = ? AND destination = ? AND event_name = ?",
                    [(_PENDING, now, *key) for key in found],
                )
                connection.execute(f"DELETE FROM dead_letters WHERE entry_id IN ({marks})", chunk)
                moved += len(found)
            return moved

        return await self._worker.write(work)

    async def prune_statuses(self, updated_before: float, limit: int = 10_000) -> int:
        def work(connection: sqlite3.Connection) -> int:
            # The states as literals: the partial index event_status_forgettable applies.
            keys = connection.execute(
                "SELECT event_id, destination, event_name FROM event_status "
                f"WHERE updated_at < ? AND {sqlite_schema.FORGETTABLE} LIMIT ?",
                (updated_before, limit),
            ).fetchall()
            where = "WHERE event_id = ? AND destination = ? AND event_name = ?"
            # A payload is kept as long as its status, no longer.
            connection.executemany(f"DELETE FROM delivery_payloads {where}", keys)
            connection.executemany(f"DELETE FROM event_status {where}", keys)
            return len(keys)

        return await self._worker.write(work)

    async def close(self) -> None:
        await self._worker.close()
        if self._dedup_worker is not None:
            await self._dedup_worker.close()


def _update_statuses(
    connection: sqlite3.Connection, statuses: list[tuple[int, int, str, float, str, str, str]], limit: int
) -> None:
    """_UPDATE_STATUS for every row, as one statement per chunk of keys sharing the same new
    values (a batch delivered at once shares them all)."""
    keys = [row[4:] for row in statuses]
    if len(set(keys)) < len(keys):
        # One status changed twice in a call (two entries of one event): the last change wins,
        # as it does row by row.
        connection.executemany(_UPDATE_STATUS, statuses)
        return
    groups: dict[tuple[int, int, str, float], list[tuple[str, str, str]]] = {}
    for row in statuses:
        groups.setdefault(row[:4], []).append(row[4:])
    for new_values, group in groups.items():
        for start, size in batch.shapes(len(group), 3, limit - 4):
            chunk = group[start : start + size]
            connection.execute(
                batch.statement(_UPDATE_STATUSES, 3, size),
                [*new_values, *chain.from_iterable(chunk)],
            )


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _is_rowid(text: str) -> bool:
    return text.isascii() and text.isdecimal() and len(text) < 19


def _marks(items: Sequence[object]) -> str:
    return ", ".join("?" * len(items))
