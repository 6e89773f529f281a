"""The SQLite statements behind monitoring (DESIGN §11): history, deliveries, observations,
alerts, leases, first sightings and documents.

Each function runs inside a transaction its caller opened: ``add_history`` and
``add_deliveries`` inside ``SqliteStore.accept`` / ``complete``'s, so a batch's counters land in
the batch's own transaction; the rest inside the ``SqliteMonitoring`` method that wraps it.
Times are the callers' clock.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence
from typing import Any

from signalmesh.monitoring.history import DAY, HOURLY, BucketKey, HistoryDelta, HistoryRow
from signalmesh.store import sqlite_batch as batch
from signalmesh.store.base import AlertRecord, DeliveryRecord, Observation
from signalmesh.store.history_rows import (
    RetentionCuts,
    checked_increments,
    checked_resolution,
    retention_cuts,
)
from signalmesh.store.sqlite_thread import SqliteWorker

_ADD_COUNTER = (
    "INSERT INTO history (resolution, start, destination, event_name, mode, counter, amount) "
    f"VALUES ('{HOURLY}', ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (resolution, start, destination, event_name, mode, counter) "
    "DO UPDATE SET amount = amount + excluded.amount"
)
# Columns in DeliveryRecord's field order.
_DELIVERY_COLUMNS = (
    "event_id, destination, event_name, event_time, delivered_at, value, currency, has_click_id, mode"
)
_delivery_row = operator.attrgetter(*_DELIVERY_COLUMNS.split(", "))
_DELIVERY_WIDTH = len(_DELIVERY_COLUMNS.split(", "))
_ADD_DELIVERIES = f"INSERT OR REPLACE INTO deliveries ({_DELIVERY_COLUMNS}) VALUES {{values}}"
_ALERT_COLUMNS = (
    "alert_key, rule, severity, state, destination, fired_at, resolved_at, details, notified_state"
)
# Hourly rows of the days that have ended (start < ?), each counter's hours in time order; the
# roll-up adds them up per day (integer division keeps start an INTEGER day start).
_HOURS_TO_ROLL_UP = (
    f"SELECT (start / {DAY}) * {DAY}, destination, event_name, mode, counter, amount "
    "FROM history WHERE resolution = 'hour' AND start < ? "
    "ORDER BY 1, destination, event_name, mode, counter, start"
)
_ADD_DAY = (
    "INSERT INTO history (resolution, start, destination, event_name, mode, counter, amount) "
    "VALUES ('day', ?, ?, ?, ?, ?, ?)"
)
# The other holder's lease only passes over once it has expired; the holder itself renews.
_TAKE_LEASE = (
    "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
    "SET holder = excluded.holder, expires_at = excluded.expires_at "
    "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
)


def add_history(connection: sqlite3.Connection, increments: Sequence[tuple[BucketKey, str, float]]) -> None:
    connection.executemany(
        _ADD_COUNTER,
        [
            (key.start, key.destination, key.event_name, key.mode, counter, amount)
            for key, counter, amount in increments
        ],
    )


def add_deliveries(connection: sqlite3.Connection, records: Sequence[DeliveryRecord]) -> None:
    """One record per (event_id, destination): a repeat (a replay delivered again) replaces,
    in record order, as one statement per record would.

    Many rows per statement (``sqlite_batch``): one step per chunk, not one GIL re-take per
    record. Each row is read in one C call; ``has_click_id`` binds as the integer 0 or 1 (a bool
    is an int to sqlite3), as the column holds it."""
    batch.insert_rows(connection, _ADD_DELIVERIES, [*map(_delivery_row, records)], _DELIVERY_WIDTH)


def _read_history(
    connection: sqlite3.Connection,
    since: float,
    until: float,
    resolution: str,
    destination: str | None,
    event_name: str | None,
) -> list[HistoryRow]:
    where = ["resolution = ?", "start >= ?", "start < ?"]
    parameters: list[object] = [resolution, since, until]
    if destination is not None:
        where.append("destination = ?")
        parameters.append(destination)
    if event_name is not None:
        where.append("event_name = ?")
        parameters.append(event_name)
    query = (
        "SELECT start, destination, event_name, mode, counter, amount FROM history "
        f"WHERE {' AND '.join(where)} ORDER BY start, destination, event_name, mode, counter"
    )
    buckets: dict[BucketKey, dict[str, float]] = {}
    for start, bucket_destination, bucket_event_name, mode, counter, amount in connection.execute(
        query, parameters
    ):
        key = BucketKey(int(start), bucket_destination, bucket_event_name, mode)
        buckets.setdefault(key, {})[counter] = float(amount)
    return [HistoryRow(key, counters) for key, counters in buckets.items()]


def _roll_up(connection: sqlite3.Connection, cuts: RetentionCuts) -> int:
    """Replace the roll-ups of every ended day that has hourly rows by their sums, then forget
    what the retentions let go. Returns how many daily buckets were written."""
    ended = (cuts.ended_days,)
    connection.execute(
        "DELETE FROM history WHERE resolution = 'day' AND start IN "
        f"(SELECT DISTINCT (start / {DAY}) * {DAY} FROM history WHERE resolution = 'hour' AND start < ?)",
        ended,
    )
    # Added up here, in time order, not by SQL's SUM: SUM adds a group's rows in whatever order
    # its sorter hands them over, and float sums depend on the order, so the same hours could
    # roll up to figures differing in the last bit from one run to the next.
    sums: dict[tuple[int, str, str, str, str], float] = {}
    for day, destination, event_name, mode, counter, amount in connection.execute(_HOURS_TO_ROLL_UP, ended):
        key = (day, destination, event_name, mode, counter)
        sums[key] = sums.get(key, 0.0) + amount
    connection.executemany(_ADD_DAY, [(*key, amount) for key, amount in sums.items()])
    (written,) = connection.execute(
        f"SELECT COUNT(*) FROM (SELECT DISTINCT (start / {DAY}) * {DAY}, destination, event_name, mode "
        "FROM history WHERE resolution = 'hour' AND start < ?)",
        ended,
    ).fetchone()
    connection.execute("DELETE FROM history WHERE resolution = 'hour' AND start < ?", (cuts.hourly,))
    connection.execute("DELETE FROM history WHERE resolution = 'day' AND start < ?", (cuts.daily,))
    connection.execute("DELETE FROM deliveries WHERE event_time < ?", (cuts.records,))
    connection.execute("DELETE FROM observations WHERE event_time < ?", (cuts.records,))
    return int(written)


def _delivered_events(
    connection: sqlite3.Connection, since: float, until: float, destination: str | None
) -> list[DeliveryRecord]:
    where = "event_time >= ? AND event_time < ?"
    parameters: list[object] = [since, until]
    if destination is not None:
        where += " AND destination = ?"
        parameters.append(destination)
    query = (
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE {where} ORDER BY event_time, event_id, destination"
    )
    return [_delivery(row) for row in connection.execute(query, parameters)]


def _delivery(row: Any) -> DeliveryRecord:
    event_id, destination, event_name, event_time, delivered_at, value, currency, has_click_id, mode = row
    return DeliveryRecord(
        event_id=str(event_id),
        destination=str(destination),
        event_name=str(event_name),
        event_time=float(event_time),
        delivered_at=float(delivered_at),
        value=str(value),
        currency=str(currency),
        has_click_id=bool(has_click_id),
        mode=str(mode),
    )


def _record_observations(
    connection: sqlite3.Connection, observations: Sequence[Observation], now: float
) -> None:
    """A firing reported twice (a retrying tag, a file loaded again) is kept once, as first seen."""
    connection.executemany(
        "INSERT OR IGNORE INTO observations (event_id, event_name, destination, event_time, observed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [(item.event_id, item.event_name, item.destination, item.event_time, now) for item in observations],
    )


def _observations(connection: sqlite3.Connection, since: float, until: float) -> list[Observation]:
    query = (
        "SELECT event_id, event_name, event_time, destination FROM observations "
        "WHERE event_time >= ? AND event_time < ? ORDER BY event_time, event_id, event_name, destination"
    )
    return [Observation(*row) for row in connection.execute(query, (since, until))]


def _alerts(connection: sqlite3.Connection) -> list[AlertRecord]:
    query = f"SELECT {_ALERT_COLUMNS} FROM alerts ORDER BY fired_at, alert_key"
    return [AlertRecord(*row) for row in connection.execute(query)]


def _save_alerts(connection: sqlite3.Connection, records: Sequence[AlertRecord]) -> None:
    connection.executemany(
        f"INSERT OR REPLACE INTO alerts ({_ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                *(item.alert_key, item.rule, item.severity, item.state, item.destination),
                *(item.fired_at, item.resolved_at, item.details, item.notified_state),
            )
            for item in records
        ],
    )


def _acquire_lease(
    connection: sqlite3.Connection, name: str, holder: str, ttl_seconds: float, now: float
) -> bool:
    """Inside the caller's BEGIN IMMEDIATE: two stores on one file take the write lock in turn,
    so the second sees the first's lease and is refused."""
    taken = connection.execute(_TAKE_LEASE, (name, holder, now + ttl_seconds, now)).rowcount
    return bool(taken == 1)


def _first_seen(connection: sqlite3.Connection, name: str, now: float) -> float:
    connection.execute("INSERT OR IGNORE INTO first_seen (name, seen_at) VALUES (?, ?)", (name, now))
    (seen_at,) = connection.execute("SELECT seen_at FROM first_seen WHERE name = ?", (name,)).fetchone()
    return float(seen_at)


def _put_document(connection: sqlite3.Connection, kind: str, body: str, now: float) -> None:
    connection.execute(
        "INSERT OR REPLACE INTO documents (kind, body, put_at) VALUES (?, ?, ?)", (kind, body, now)
    )


def _get_document(connection: sqlite3.Connection, kind: str) -> tuple[str, float] | None:
    row = connection.execute("SELECT body, put_at FROM documents WHERE kind = ?", (kind,)).fetchone()
    return None if row is None else (str(row[0]), float(row[1]))


class SqliteMonitoring:
    """The monitoring methods of ``SqliteStore``: each one transaction on its worker thread."""

    _worker: SqliteWorker

    async def add_history(self, history: HistoryDelta, now: float) -> None:
        increments = checked_increments(history)
        if increments:
            await self._worker.write(lambda connection: add_history(connection, increments))

    async def read_history(
        self,
        since: float,
        until: float,
        *,
        resolution: str = "hour",
        destination: str | None = None,
        event_name: str | None = None,
    ) -> list[HistoryRow]:
        checked_resolution(resolution)
        return await self._worker.read(
            lambda connection: _read_history(connection, since, until, resolution, destination, event_name)
        )

    async def roll_up_history(self, now: float, hourly_retention: float, daily_retention: float) -> int:
        cuts = retention_cuts(now, hourly_retention, daily_retention)
        return await self._worker.write(lambda connection: _roll_up(connection, cuts))

    async def delivered_events(
        self, since: float, until: float, destination: str | None = None
    ) -> list[DeliveryRecord]:
        return await self._worker.read(
            lambda connection: _delivered_events(connection, since, until, destination)
        )

    async def record_observations(self, observations: Sequence[Observation], now: float) -> None:
        if observations:
            await self._worker.write(lambda connection: _record_observations(connection, observations, now))

    async def observations(self, since: float, until: float) -> list[Observation]:
        return await self._worker.read(lambda connection: _observations(connection, since, until))

    async def alerts(self) -> list[AlertRecord]:
        return await self._worker.read(_alerts)

    async def save_alerts(self, records: Sequence[AlertRecord]) -> None:
        if records:
            await self._worker.write(lambda connection: _save_alerts(connection, records))

    async def forget_alerts(self, alert_keys: Sequence[str]) -> None:
        if alert_keys:
            keys = [(key,) for key in alert_keys]
            await self._worker.write(
                lambda connection: connection.executemany("DELETE FROM alerts WHERE alert_key = ?", keys)
            )

    async def acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: float) -> bool:
        return await self._worker.write(
            lambda connection: _acquire_lease(connection, name, holder, ttl_seconds, now)
        )

    async def first_seen(self, name: str, now: float) -> float:
        return await self._worker.write(lambda connection: _first_seen(connection, name, now))

    async def put_document(self, kind: str, body: str, now: float) -> None:
        await self._worker.write(lambda connection: _put_document(connection, kind, body, now))

    async def get_document(self, kind: str) -> tuple[str, float] | None:
        return await self._worker.read(lambda connection: _get_document(connection, kind))
