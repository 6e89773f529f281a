"""The two backends' API-key methods (see ``api_key_records`` for what a record holds)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import redis.asyncio as aioredis

from signalmesh.store.api_key_records import ApiKeyRecord, from_json, to_json
from signalmesh.store.redis_layout import Keys, text
from signalmesh.store.sqlite_thread import SqliteWorker


def _revoke(connection: sqlite3.Connection, key_id: str, now: float) -> bool:
    row = connection.execute("SELECT record FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
    if row is None:
        return False
    record = from_json(str(row[0]))
    if record.revoked_at is None:
        connection.execute(
            "UPDATE api_keys SET record = ? WHERE key_id = ?",
            (to_json(replace(record, revoked_at=now)), key_id),
        )
    return True


class SqliteApiKeys:
    """The API-key methods of ``SqliteStore``."""

    _worker: SqliteWorker

    async def add_api_key(self, record: ApiKeyRecord) -> None:
        await self._worker.write(
            lambda connection: connection.execute(
                "INSERT INTO api_keys (key_sha256, key_id, record) VALUES (?, ?, ?)",
                (record.key_sha256, record.key_id, to_json(record)),
            )
        )

    async def revoke_api_key(self, key_id: str, now: float) -> bool:
        return await self._worker.write(lambda connection: _revoke(connection, key_id, now))

    async def api_keys(self) -> list[ApiKeyRecord]:
        rows = await self._worker.read(
            lambda connection: connection.execute("SELECT record FROM api_keys ORDER BY key_id").fetchall()
        )
        return [from_json(str(raw)) for (raw,) in rows]


class RedisApiKeys:
    """The API-key methods of ``RedisStore``: one hash, key id → the record as JSON."""

    _redis: aioredis.Redis
    _keys: Keys

    def _api_keys_key(self) -> str:
        return f"{self._keys.namespace}:api_keys"

    async def add_api_key(self, record: ApiKeyRecord) -> None:
        if not await self._redis.hsetnx(self._api_keys_key(), record.key_id, to_json(record)):
            raise ValueError(f"an API key with id {record.key_id} exists already")

    async def revoke_api_key(self, key_id: str, now: float) -> bool:
        raw = await self._redis.hget(self._api_keys_key(), key_id)
        if raw is None:
            return False
        record = from_json(text(raw))
        if record.revoked_at is None:
            await self._redis.hset(self._api_keys_key(), key_id, to_json(replace(record, revoked_at=now)))
        return True

    async def api_keys(self) -> list[ApiKeyRecord]:
        stored = await self._redis.hgetall(self._api_keys_key())
        return sorted((from_json(text(raw)) for raw in stored.values()), key=lambda record: record.key_id)
