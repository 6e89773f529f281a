"""The SQLite state schema and connection settings, kept apart from the queries that use them.

One outbox column, ``available_at``, says when an entry may next be claimed: its enqueue time,
a retry's next attempt, or the end of the live lease. The claim query is then a single range
scan of one index, and a dispatcher that dies simply lets ``available_at`` pass.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from signalmesh.store.api_key_records import API_KEYS_SCHEMA
from signalmesh.v1 import gateway_pb2

# 2: event_status is keyed by event name too (one id may name a Purchase and its AddPaymentInfo).
# 3: monitoring (DESIGN §11): history, deliveries, observations, alerts, leases, first_seen and
#    documents. New tables only, so a version 2 file needs no step of its own: the SCHEMA's
#    CREATE ... IF NOT EXISTS adds them and leaves its data as it was.
# 4: the conversion strategy (a setting every policy replica shares) and its audit trail. New
#    tables only, like version 3: CREATE ... IF NOT EXISTS adds them to an older file.
# 5: delivery_payloads (PAYLOADS_SCHEMA), one new table, so a version 4 file needs no step either.
# 6: event_status.match_quality, the connector's score at accept time (0 = unknown). A column on
#    an existing table, so older files take a step of their own: _add_match_quality.
# 7: api_keys (store.api_keys.API_KEYS_SCHEMA), keys added and revoked without a restart. A new
#    table only, so older files need no step: CREATE ... IF NOT EXISTS adds it.
# Indexes are not versioned: a file keeps its tables whichever index set opened it last, and
# every version's queries run on either (an older version's SCHEMA recreates its own index).
SCHEMA_VERSION = 7

# The statuses prune_statuses may forget. The partial index below is only used by a query whose
# WHERE names these same literal states.
FORGETTABLE = f"state IN ({gateway_pb2.DELIVERY_STATE_DELIVERED}, {gateway_pb2.DELIVERY_STATE_SKIPPED})"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS dedup_claims (
    key        TEXT PRIMARY KEY,
    claimed_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_claims_by_age ON dedup_claims (claimed_at);

-- AUTOINCREMENT: ids are never reused, so a replayed dead letter can take its old id back.
CREATE TABLE IF NOT EXISTS outbox (
    entry_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    destination   TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    event_name    TEXT NOT NULL,
    prepared      BLOB NOT NULL,
    traceparent   TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    available_at  REAL NOT NULL,
    enqueued_at   REAL NOT NULL,
    last_response TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_claim ON outbox (destination, available_at, entry_id);

CREATE TABLE IF NOT EXISTS event_status (
    event_id          TEXT NOT NULL,
    destination       TEXT NOT NULL,
    event_name        TEXT NOT NULL,
    decision          INTEGER NOT NULL,
    reason            INTEGER NOT NULL,
    detail            TEXT NOT NULL,
    state             INTEGER NOT NULL,
    attempts          INTEGER NOT NULL,
    platform_response TEXT NOT NULL,
    trace_id          TEXT NOT NULL,
    updated_at        REAL NOT NULL,
    match_quality     REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, destination, event_name)
) WITHOUT ROWID;

-- Everything needed to replay: the prepared bytes, the trace to join, and why it died.
CREATE TABLE IF NOT EXISTS dead_letters (
    entry_id      INTEGER PRIMARY KEY,
    destination   TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    event_name    TEXT NOT NULL,
    prepared      BLOB NOT NULL,
    traceparent   TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    enqueued_at   REAL NOT NULL,
    last_response TEXT NOT NULL,
    reason        TEXT NOT NULL,
    dead_at       REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_destination ON dead_letters (destination, dead_at, entry_id);
-- Pruning finds old forgettable statuses without scanning the table. Partial: a status enters it
-- once, when it becomes forgettable, so accepting a pending status and updating one in flight
-- leave it alone (event_status_by_age, which it replaces, moved on every insert and update).
DROP INDEX IF EXISTS event_status_by_age;
CREATE INDEX IF NOT EXISTS event_status_forgettable ON event_status (updated_at) WHERE {FORGETTABLE};

-- Counters, not events: one row per bucket and counter. resolution is 'hour' or 'day' (the
-- roll-ups), start the bucket's first epoch second. The key's order is the read order, so
-- a read of a time range is one range scan.
CREATE TABLE IF NOT EXISTS history (
    resolution  TEXT NOT NULL,
    start       INTEGER NOT NULL,
    destination TEXT NOT NULL,
    event_name  TEXT NOT NULL,
    mode        TEXT NOT NULL,
    counter     TEXT NOT NULL,
    amount      REAL NOT NULL,
    PRIMARY KEY (resolution, start, destination, event_name, mode, counter)
) WITHOUT ROWID;

-- The server layer of reconciliation: what each platform accepted, hashed data only.
CREATE TABLE IF NOT EXISTS deliveries (
    event_id     TEXT NOT NULL,
    destination  TEXT NOT NULL,
    event_name   TEXT NOT NULL,
    event_time   REAL NOT NULL,
    delivered_at REAL NOT NULL,
    value        TEXT NOT NULL,
    currency     TEXT NOT NULL,
    has_click_id INTEGER NOT NULL,
    mode         TEXT NOT NULL,
    PRIMARY KEY (event_id, destination)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_by_event_time ON deliveries (event_time);

-- The browser layer: pixel firings reported through ObserveEvents, counted, never forwarded.
CREATE TABLE IF NOT EXISTS observations (
    event_id    TEXT NOT NULL,
    event_name  TEXT NOT NULL,
    destination TEXT NOT NULL,
    event_time  REAL NOT NULL,
    observed_at REAL NOT NULL,
    PRIMARY KEY (event_id, event_name, destination)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS observations_by_event_time ON observations (event_time);

CREATE TABLE IF NOT EXISTS alerts (
    alert_key      TEXT PRIMARY KEY,
    rule           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    state          TEXT NOT NULL,
    destination    TEXT NOT NULL,
    fired_at       REAL NOT NULL,
    resolved_at    REAL NOT NULL,
    details        TEXT NOT NULL,
    notified_state TEXT NOT NULL
) WITHOUT ROWID;

-- Named leases (e.g. the alert evaluator's): one holder until expires_at, in the callers' clock.
CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS first_seen (
    name    TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
) WITHOUT ROWID;

-- The latest JSON body of each kind (e.g. the last reconciliation).
CREATE TABLE IF NOT EXISTS documents (
    kind   TEXT PRIMARY KEY,
    body   TEXT NOT NULL,
    put_at REAL NOT NULL
) WITHOUT ROWID;

-- The strategy per scope: '' is the global default, otherwise a destination's override.
CREATE TABLE IF NOT EXISTS strategy_overrides (
    scope      TEXT PRIMARY KEY,
    strategy   TEXT NOT NULL,
    changed_at REAL NOT NULL
) WITHOUT ROWID;

-- Append-only: every change of the strategy, in the order it happened.
CREATE TABLE IF NOT EXISTS strategy_changes (
    change_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    previous    TEXT NOT NULL,
    strategy    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    changed_at  REAL NOT NULL
);
"""


# The body sent and the platform's answer of each event's last attempt (store.base.DeliveryPayload),
# keyed like its status and forgotten with it (SqliteStore.prune_statuses).
PAYLOADS_SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery_payloads (
    event_id        TEXT NOT NULL,
    destination     TEXT NOT NULL,
    event_name      TEXT NOT NULL,
    request_body    TEXT NOT NULL,
    response_body   TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    request_events  INTEGER NOT NULL,
    request_index   INTEGER NOT NULL,
    recorded_at     REAL NOT NULL,
    PRIMARY KEY (event_id, destination, event_name)
) WITHOUT ROWID;
"""


# The dedup ledger's own file (``SqliteStore.dedup_path``): policy's claims take this file's write
# lock, never the outbox's, so they do not queue behind the gateway's outbox writes. Outside
# SCHEMA_VERSION: the main file keeps its (now empty) dedup_claims table, so no step renumbers.
DEDUP_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup_claims (
    key        TEXT PRIMARY KEY,
    claimed_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_claims_by_age ON dedup_claims (claimed_at);
"""


def dedup_path_for(path: Path) -> Path:
    """``signalmesh.db`` → ``signalmesh-dedup.db``, beside it."""
    return path.with_name(f"{path.stem}-dedup{path.suffix or '.db'}")


def connect_dedup(path: str, busy_timeout_seconds: float, main_path: str) -> sqlite3.Connection:
    """Open the dedup ledger's file (WAL, FULL sync, like the main one) and move over any claims
    an older signalmesh kept in the main file (``_move_dedup_claims``)."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_seconds)
    _enable_wal(connection, path, busy_timeout_seconds)
    connection.execute("PRAGMA synchronous = FULL")
    try:
        connection.execute("BEGIN IMMEDIATE")
        for statement in DEDUP_SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("COMMIT")
        if Path(main_path).exists():
            _move_dedup_claims(connection, main_path)
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()
        raise
    return connection


def _move_dedup_claims(connection: sqlite3.Connection, main_path: str) -> None:
    """Claims kept in the main file (before the ledger had its own) move to the ledger's file:
    copied first (the later claim time wins where both hold a key), committed, and only then
    deleted from the main file. A crash in between leaves a copy in both, which the next open
    moves again; a claim is never in neither, so no duplicate slips through."""
    connection.execute("ATTACH DATABASE ? AS legacy", (main_path,))
    try:
        has_table = connection.execute(
            "SELECT 1 FROM legacy.sqlite_master WHERE type = 'table' AND name = 'dedup_claims'"
        ).fetchone()
        if (
            not has_table
            or connection.execute("SELECT 1 FROM legacy.dedup_claims LIMIT 1").fetchone() is None
        ):
            return
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO main.dedup_claims (key, claimed_at) SELECT key, claimed_at FROM legacy.dedup_claims "
            "WHERE true ON CONFLICT (key) DO UPDATE SET claimed_at = MAX(claimed_at, excluded.claimed_at)"
        )
        connection.execute("COMMIT")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM legacy.dedup_claims WHERE key IN (SELECT key FROM main.dedup_claims)")
        connection.execute("COMMIT")
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.execute("DETACH DATABASE legacy")


def connect(path: str, busy_timeout_seconds: float) -> sqlite3.Connection:
    """Open ``path`` for one thread: WAL, FULL sync, explicit transactions, schema in place."""
    # isolation_level=None: no implicit transactions; every write says BEGIN IMMEDIATE itself.
    # timeout is SQLite's busy timeout: how long to wait for another process's write lock.
    # cached_statements: the batch statements' few shapes (sqlite_batch), each IN (...) list's
    # and the monitoring ones all stay prepared (the default keeps 128).
    connection = sqlite3.connect(
        path, isolation_level=None, timeout=busy_timeout_seconds, cached_statements=512
    )
    _enable_wal(connection, path, busy_timeout_seconds)
    # FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss, and an
    # acknowledged event must survive (DESIGN §1.4).
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{path}: schema version {version} is newer than this signalmesh ({SCHEMA_VERSION})"
            )
        if version == 1:
            _migrate_from_1(connection)
        if 0 < version < 6:
            _add_match_quality(connection)
        for statement in (SCHEMA + PAYLOADS_SCHEMA + API_KEYS_SCHEMA).split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        connection.close()
        raise
    return connection


def _migrate_from_1(connection: sqlite3.Connection) -> None:
    """Version 1 keyed event_status by (event_id, destination): rebuild it with the event name."""
    connection.execute("ALTER TABLE event_status RENAME TO event_status_v1")
    connection.execute("DROP INDEX IF EXISTS event_status_by_age")
    for statement in SCHEMA.split(";"):
        if "event_status" in statement and statement.strip():
            connection.execute(statement)
    columns = (
        "event_id, destination, event_name, decision, reason, detail, state, attempts, "
        "platform_response, trace_id, updated_at"
    )
    connection.execute(f"INSERT INTO event_status ({columns}) SELECT {columns} FROM event_status_v1")
    connection.execute("DROP TABLE event_status_v1")


def _add_match_quality(connection: sqlite3.Connection) -> None:
    """Versions 1–5 kept no score with a status: their statuses read 0 (unknown). A file whose
    table already has the column (version 1's rebuild makes it from today's SCHEMA) is left as is."""
    columns = {name for (name,) in connection.execute("SELECT name FROM pragma_table_info('event_status')")}
    if columns and "match_quality" not in columns:
        connection.execute("ALTER TABLE event_status ADD COLUMN match_quality REAL NOT NULL DEFAULT 0")


def _enable_wal(connection: sqlite3.Connection, path: str, busy_timeout_seconds: float) -> None:
    # Switching a new file to WAL needs an exclusive lock, and SQLite answers "locked" at once
    # (no busy handler) while another process opens the same new file: retry until the timeout.
    deadline = time.monotonic() + busy_timeout_seconds
    while True:
        try:
            (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    if mode != "wal":
        raise RuntimeError(
            f"{path}: SQLite cannot use WAL here (journal mode stays {mode!r}); use a local disk"
        )
