"""The SQLite statements behind the shared strategy setting: one row per scope, and the
append-only trail of changes. The read-then-write of a change runs in one BEGIN IMMEDIATE, so
two administrators changing one scope at once each record the value the other left."""

from __future__ import annotations

import sqlite3

from signalmesh.store.base import StrategyChange
from signalmesh.store.sqlite_thread import SqliteWorker

_CHANGE_COLUMNS = "destination, previous, strategy, actor, changed_at"


def _set_strategy(
    connection: sqlite3.Connection, destination: str, strategy: str, actor: str, now: float, configured: str
) -> StrategyChange:
    row = connection.execute(
        "SELECT strategy FROM strategy_overrides WHERE scope = ?", (destination,)
    ).fetchone()
    change = StrategyChange(
        destination=destination,
        previous=str(row[0]) if row else configured,
        strategy=strategy,
        actor=actor,
        changed_at=now,
    )
    connection.execute(
        "INSERT OR REPLACE INTO strategy_overrides (scope, strategy, changed_at) VALUES (?, ?, ?)",
        (destination, strategy, now),
    )
    connection.execute(
        f"INSERT INTO strategy_changes ({_CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        (change.destination, change.previous, change.strategy, change.actor, change.changed_at),
    )
    return change


def _strategy_changes(connection: sqlite3.Connection, limit: int) -> list[StrategyChange]:
    query = f"SELECT {_CHANGE_COLUMNS} FROM strategy_changes ORDER BY change_id DESC LIMIT ?"
    return [
        StrategyChange(str(destination), str(previous), str(strategy), str(actor), float(changed_at))
        for destination, previous, strategy, actor, changed_at in connection.execute(query, (limit,))
    ]


class SqliteStrategy:
    """The strategy methods of ``SqliteStore``: each one transaction on its worker thread."""

    _worker: SqliteWorker

    async def strategy_overrides(self) -> dict[str, str]:
        rows = await self._worker.read(
            lambda connection: connection.execute("SELECT scope, strategy FROM strategy_overrides").fetchall()
        )
        return {str(scope): str(strategy) for scope, strategy in rows}

    async def set_strategy(
        self, destination: str, strategy: str, actor: str, now: float, configured: str
    ) -> StrategyChange:
        return await self._worker.write(
            lambda connection: _set_strategy(connection, destination, strategy, actor, now, configured)
        )

    async def strategy_changes(self, limit: int = 50) -> list[StrategyChange]:
        return await self._worker.read(lambda connection: _strategy_changes(connection, limit))
