"""A SQLite file written by schema version 1 opens under version 2 with its statuses intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from signalmesh.store import SqliteStore
from signalmesh.store.sqlite_schema import SCHEMA_VERSION

V1_EVENT_STATUS = """
CREATE TABLE event_status (
    event_id TEXT NOT NULL, destination TEXT NOT NULL, event_name TEXT NOT NULL,
    decision INTEGER NOT NULL, reason INTEGER NOT NULL, detail TEXT NOT NULL,
    state INTEGER NOT NULL, attempts INTEGER NOT NULL, platform_response TEXT NOT NULL,
    trace_id TEXT NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (event_id, destination)
) WITHOUT ROWID
"""


async def test_version_1_statuses_survive_the_move_to_keys_with_the_event_name(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    connection = sqlite3.connect(path)
    connection.execute(V1_EVENT_STATUS)
    connection.execute(
        "INSERT INTO event_status VALUES ('evt-1', 'meta', 'Purchase', 1, 1, '', 4, 1, 'ok', 'a', 1.0)"
    )
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()

    store = SqliteStore(path)
    try:
        [record] = await store.event_status("evt-1")
        assert (record.destination, record.event_name, record.platform_response) == ("meta", "Purchase", "ok")
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        columns = connection.execute("SELECT name, pk FROM pragma_table_info('event_status') WHERE pk > 0")
        assert sorted(name for name, _ in columns) == ["destination", "event_id", "event_name"]
    finally:
        connection.close()
