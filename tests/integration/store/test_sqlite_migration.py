"""SQLite files written by older schema versions open under the current one with their data
intact: version 1's statuses gain the event name in their key, version 2 gains the monitoring
tables, version 3 the strategy setting's, version 4 the kept payloads, version 5 the statuses'
match-quality score."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from signalmesh.monitoring.history import HistoryDelta
from signalmesh.store import DeliveryPayload, DeliveryResult, NewEntry, SqliteStore
from signalmesh.store.sqlite_schema import SCHEMA_VERSION
from signalmesh.v1 import gateway_pb2

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
        assert record.match_quality == 0.0, "a status kept without a score reads unknown"
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        columns = connection.execute("SELECT name, pk FROM pragma_table_info('event_status') WHERE pk > 0")
        assert sorted(name for name, _ in columns) == ["destination", "event_id", "event_name"]
    finally:
        connection.close()


# The tables version 3 added; a version 2 file is a version 3 one without them.
V3_TABLES = ("history", "deliveries", "observations", "alerts", "leases", "first_seen", "documents")


async def test_a_version_2_file_gains_the_monitoring_tables_and_keeps_its_outbox(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    store = SqliteStore(path)
    await store.accept([NewEntry("meta", "evt-1", "Purchase", b"\x0a\x01", "")], [], 1.0)
    await store.close()
    connection = sqlite3.connect(path)
    for table in V3_TABLES:
        connection.execute(f"DROP TABLE {table}")
    connection.execute("PRAGMA user_version = 2")
    connection.commit()
    connection.close()

    store = SqliteStore(path)
    try:
        [claimed] = await store.claim_outbox("meta", 10, 30.0, 2.0)
        assert (claimed.event_id, claimed.prepared) == ("evt-1", b"\x0a\x01")
        history = HistoryDelta()
        history.add(3600.0, "meta", "Purchase", "received")
        await store.add_history(history, 3600.0)
        assert [row.get("received") for row in await store.read_history(0, 7200)] == [1.0]
        assert await store.acquire_lease("alerts", "a", 60.0, 2.0)
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        tables = {
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert tables >= set(V3_TABLES)
    finally:
        connection.close()


# The tables version 4 added: the shared strategy setting and its audit trail.
V4_TABLES = ("strategy_overrides", "strategy_changes")


async def test_a_version_3_file_gains_the_strategy_tables_and_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    store = SqliteStore(path)
    history = HistoryDelta()
    history.add(3600.0, "meta", "Purchase", "received")
    await store.add_history(history, 3600.0)
    await store.close()
    connection = sqlite3.connect(path)
    for table in (*V4_TABLES, "delivery_payloads"):
        connection.execute(f"DROP TABLE {table}")
    connection.execute("PRAGMA user_version = 3")
    connection.commit()
    connection.close()

    store = SqliteStore(path)
    try:
        assert [row.get("received") for row in await store.read_history(0, 7200)] == [1.0]
        assert await store.strategy_overrides() == {}
        await store.set_strategy("meta", "send_all", "ops-admin", 2.0, configured="strict")
        assert await store.strategy_overrides() == {"meta": "send_all"}
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (7,)
    finally:
        connection.close()


async def test_a_version_4_file_gains_the_payloads_table_and_keeps_its_statuses(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    store = SqliteStore(path)
    await store.accept([NewEntry("meta", "evt-1", "Purchase", b"\x0a\x01", "")], [], 1.0)
    await store.close()
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE delivery_payloads")
    connection.execute("PRAGMA user_version = 4")
    connection.commit()
    connection.close()

    store = SqliteStore(path)
    try:
        [claimed] = await store.claim_outbox("meta", 10, 30.0, 2.0)
        done = DeliveryResult(claimed.entry_id, "evt-1", "meta", gateway_pb2.DELIVERY_STATE_DELIVERED, "ok")
        kept = DeliveryPayload('{"data":[]}', "{}", 200)
        await store.complete([replace(done, payload=kept)], 3.0)
        assert [record.payload for record in await store.delivery_payloads("evt-1")] == [kept]
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        connection.close()


# Version 5's event_status: today's key, no match_quality column.
V5_EVENT_STATUS = V1_EVENT_STATUS.replace(
    "PRIMARY KEY (event_id, destination)", "PRIMARY KEY (event_id, destination, event_name)"
)


async def test_a_version_5_file_gains_the_status_score_column_and_keeps_its_statuses(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    store = SqliteStore(path)
    await store.accept([NewEntry("meta", "evt-1", "Purchase", b"\x0a\x01", "")], [], 1.0)
    await store.close()
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE event_status")
    connection.execute(V5_EVENT_STATUS)
    connection.execute(
        "INSERT INTO event_status VALUES ('evt-1', 'meta', 'Purchase', 1, 1, '', ?, 0, '', 'a', 1.0)",
        (gateway_pb2.DELIVERY_STATE_PENDING,),
    )
    connection.execute("PRAGMA user_version = 5")
    connection.commit()
    connection.close()

    store = SqliteStore(path)
    try:
        [old] = await store.event_status("evt-1")
        assert (old.state, old.match_quality) == (gateway_pb2.DELIVERY_STATE_PENDING, 0.0)
        scored = replace(old, event_id="evt-2", match_quality=6.6)
        await store.accept([NewEntry("meta", "evt-2", "Purchase", b"\x0a\x02", "")], [scored], 2.0)
        claimed = {item.event_id: item for item in await store.claim_outbox("meta", 10, 30.0, 2.0)}
        delivered_state = gateway_pb2.DELIVERY_STATE_DELIVERED
        done = DeliveryResult(claimed["evt-2"].entry_id, "evt-2", "meta", delivered_state)
        await store.complete([done], 3.0)
        [delivered] = await store.event_status("evt-2")
        assert (delivered.state, delivered.match_quality) == (delivered_state, 6.6)
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        query = "SELECT name FROM pragma_table_info('event_status')"
        columns = [name for (name,) in connection.execute(query)]
        assert columns[-1] == "match_quality"
    finally:
        connection.close()


async def test_a_version_6_file_gains_the_api_keys_table(tmp_path):
    """Version 7 adds api_keys only: a version 6 file opens, keeps its rows and can store keys."""
    from signalmesh.store.api_key_records import ApiKeyRecord

    path = tmp_path / "v6.db"
    store = SqliteStore(path)
    await store.strategy_overrides()  # creates today's schema
    await store.close()
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE api_keys")
    connection.execute("PRAGMA user_version = 6")
    connection.commit()
    connection.close()
    store = SqliteStore(path)
    try:
        record = ApiKeyRecord("e" * 12, "e" * 64, "shop", ("admin",), None, 1.0)
        await store.add_api_key(record)
        assert await store.api_keys() == [record]
    finally:
        await store.close()
