"""Redis backend of the state interface: what many gateway and policy replicas share.

Dedup claims are ``SET NX PX`` keys; the outbox is one Stream per destination read through a
consumer group, so each entry sits in exactly one dispatcher's pending list; status is one hash
per event id with a TTL. Leases and retry times share one sorted set per destination, scored
in the callers' clock as in SQLite: a due entry (its worker died, or its retry time came) is
taken over with XCLAIM inside a Lua script, keeps its entry id, and is never taken twice.
History, deliveries and the rest of monitoring: ``redis_monitoring``; a batch's counters go in
the batch's own MULTI. Key layout: ``redis_layout``; scripts: ``redis_scripts``.
"""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Sequence

import redis.asyncio as aioredis

from signalmesh.monitoring.history import HistoryDelta
from signalmesh.store import redis_scripts
from signalmesh.store.api_keys import RedisApiKeys
from signalmesh.store.base import (
    DeliveryRecord,
    DeliveryResult,
    NewEntry,
    OutboxEntry,
    PayloadRecord,
    StatusRecord,
)
from signalmesh.store.history_rows import checked_increments
from signalmesh.store.redis_layout import (
    GROUP,
    Keys,
    destination_of,
    entry_id,
    payload_from_json,
    payload_json,
    split_entry_id,
    status_field,
    status_from_json,
    status_json,
    text,
)
from signalmesh.store.redis_monitoring import RedisMonitoring, queue_deliveries, queue_history
from signalmesh.store.redis_scripts import queue_script
from signalmesh.store.redis_strategy import RedisStrategy
from signalmesh.v1 import gateway_pb2, policy_pb2

DEFAULT_STATUS_TTL_SECONDS = 30 * 86400
# Connections one process opens to Redis at most, and how long a caller waits for a free one.
MAX_CONNECTIONS = 64
POOL_WAIT_SECONDS = 10.0
# What each outcome does to the entry (see redis_scripts.COMPLETE).
_ACTIONS: dict[int, str] = {
    gateway_pb2.DELIVERY_STATE_RETRYING: "retry",
    gateway_pb2.DELIVERY_STATE_DEAD_LETTERED: "dead",
    gateway_pb2.DELIVERY_STATE_DELIVERED: "final",
    # A platform's refusal is permanent: kept as a dead letter (state stays REJECTED) so the
    # operator can see its request and response, fix the cause and replay it.
    gateway_pb2.DELIVERY_STATE_REJECTED: "dead",
}


class RedisStore(RedisMonitoring, RedisStrategy, RedisApiKeys):
    """The ``Store`` on one Redis server; every key starts with ``namespace:``. The monitoring
    methods (history, deliveries, alerts, leases…) come from ``RedisMonitoring``, the shared
    strategy setting from ``RedisStrategy``."""

    def __init__(
        self,
        url: str,
        namespace: str = "signalmesh",
        consumer: str | None = None,
        status_ttl_seconds: float = DEFAULT_STATUS_TTL_SECONDS,
    ) -> None:
        # Bytes, not str: prepared events are binary protobuf. A blocking pool: under a burst
        # (a batch's status reads, many dispatch workers) callers wait for a free connection
        # instead of failing with "Too many connections" (redis-py's default pool raises at 100).
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_SECONDS, decode_responses=False
        )
        self._redis = aioredis.Redis.from_pool(pool)  # owns the pool: aclose() closes it
        self._keys = Keys(namespace)
        # Names this process in the group's pending lists (XPENDING shows who holds what).
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self._status_ttl = max(1, math.ceil(status_ttl_seconds))
        # Called on their own (EVALSHA, loaded again by redis-py after a NOSCRIPT): one round trip.
        self._claim_dedup_keys = self._redis.register_script(redis_scripts.CLAIM_DEDUP_KEYS)
        self._claim_outbox = self._redis.register_script(redis_scripts.CLAIM_OUTBOX)
        self._register_monitoring_scripts()
        self._register_strategy_scripts()

    # --- dedup ledger ---
    async def claim_dedup_keys(self, keys: Sequence[str], window_seconds: float, now: float) -> list[bool]:
        # A key repeated within the call is a duplicate of its first occurrence: ask Redis once.
        first: dict[str, int] = {}
        for position, key in enumerate(keys):
            first.setdefault(key, position)
        ttl_ms = max(1, math.ceil(window_seconds * 1000))
        answers = await self._claim_dedup_keys(
            keys=[self._keys.dedup(key) for key in first],
            args=[repr(now), repr(now - window_seconds), ttl_ms],
        )
        claimed = dict(zip(first.values(), answers, strict=True))
        return [claimed.get(position) == 1 for position in range(len(keys))]

    async def dedup_keys_claimed(self, keys: Sequence[str], window_seconds: float, now: float) -> list[bool]:
        if not keys:
            return []
        values = await self._redis.mget([self._keys.dedup(key) for key in keys])
        return [value is not None and float(value) > now - window_seconds for value in values]

    # --- outbox and status ---
    async def accept(
        self,
        entries: Sequence[NewEntry],
        statuses: Sequence[StatusRecord],
        now: float,
        history: HistoryDelta | None = None,
    ) -> None:
        increments = checked_increments(history)
        async with self._redis.pipeline(transaction=True) as pipe:
            for destination in sorted({item.destination for item in entries}):
                # Every time, not once per process: a stream recreated by XADD would have no group.
                pipe.xgroup_create(self._keys.stream(destination), GROUP, id="0", mkstream=True)
                pipe.sadd(self._keys.destinations(), destination)
            for item in entries:
                pipe.xadd(
                    self._keys.stream(item.destination),
                    {
                        "event_id": item.event_id,
                        "event_name": item.event_name,
                        "prepared": item.prepared,
                        "traceparent": item.traceparent,
                        "enqueued_at": repr(now),
                    },
                )
            for status in statuses:
                field = status_field(status.destination, status.event_name)
                pipe.hset(self._keys.status(status.event_id), field, status_json(status, now))
                pipe.expire(self._keys.status(status.event_id), self._status_ttl)
            queue_history(pipe, self._keys, increments)
            answers = await pipe.execute(raise_on_error=False)
        for answer in answers:
            if isinstance(answer, Exception) and not str(answer).startswith("BUSYGROUP"):
                raise answer

    async def claim_outbox(
        self, destination: str, limit: int, lease_seconds: float, now: float
    ) -> list[OutboxEntry]:
        if limit <= 0:
            return []
        keys = self._keys
        rows = await self._claim_outbox(
            keys=[keys.stream(destination), keys.due(destination), keys.attempts(destination)],
            args=[GROUP, self.consumer, limit, repr(now), repr(now + lease_seconds)],
        )
        claimed = []
        for stream_id, flat_fields, attempts in rows:
            fields = dict(zip(map(text, flat_fields[::2]), flat_fields[1::2], strict=True))
            claimed.append(
                OutboxEntry(
                    entry_id=entry_id(destination, text(stream_id)),
                    destination=destination,
                    event_id=text(fields["event_id"]),
                    event_name=text(fields["event_name"]),
                    prepared=fields["prepared"],
                    traceparent=text(fields["traceparent"]),
                    attempts=int(attempts),
                    enqueued_at=float(fields["enqueued_at"]),
                )
            )
        return claimed

    async def complete(
        self,
        results: Sequence[DeliveryResult],
        now: float,
        history: HistoryDelta | None = None,
        deliveries: Sequence[DeliveryRecord] = (),
    ) -> None:
        DeliveryResult.check_states(results)
        increments = checked_increments(history)
        keys = self._keys
        by_destination: dict[str, list[DeliveryResult]] = {}
        for result in results:
            by_destination.setdefault(result.destination, []).append(result)
        # One MULTI, one script call per destination: the outcomes, their counters and their
        # delivery records land together, in one round trip.
        async with self._redis.pipeline(transaction=True) as pipe:
            for destination, batch in by_destination.items():
                entry_keys: list[str] = []
                entry_args: list[str | int] = []
                for result in batch:
                    stream_id = split_entry_id(result.entry_id)[1]
                    entry_keys += [
                        keys.dead_entry(destination, stream_id),
                        keys.status(result.event_id),
                        keys.payloads(result.event_id),
                    ]
                    entry_args += [
                        *(stream_id, _ACTIONS[result.state], result.state, result.platform_response),
                        *(repr(result.next_attempt_at), payload_json(result.payload, now)),
                    ]
                queue_script(
                    pipe,
                    redis_scripts.COMPLETE,
                    keys=[
                        *(keys.stream(destination), keys.due(destination), keys.attempts(destination)),
                        *(keys.responses(destination), keys.dead(destination)),
                        *entry_keys,
                    ],
                    args=[GROUP, repr(now), self._status_ttl, destination, *entry_args],
                )
            queue_history(pipe, keys, increments)
            queue_deliveries(pipe, keys, deliveries)
            await pipe.execute()

    async def event_status(self, event_id: str) -> list[StatusRecord]:
        fields = await self._redis.hgetall(self._keys.status(event_id))
        records = (
            status_from_json(event_id, destination_of(text(field)), raw) for field, raw in fields.items()
        )
        return sorted(records, key=lambda record: (record.destination, record.event_name))

    async def event_statuses(self, event_ids: Sequence[str]) -> list[StatusRecord]:
        wanted = sorted(set(event_ids))
        if not wanted:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for event_id in wanted:
                pipe.hgetall(self._keys.status(event_id))
            answers = await pipe.execute()
        records = [
            status_from_json(event_id, destination_of(text(field)), raw)
            for event_id, fields in zip(wanted, answers, strict=True)
            for field, raw in fields.items()
        ]
        return sorted(records, key=lambda record: (record.event_id, record.destination, record.event_name))

    async def delivery_payloads(self, event_id: str) -> list[PayloadRecord]:
        fields = await self._redis.hgetall(self._keys.payloads(event_id))
        records = (payload_from_json(event_id, text(field), raw) for field, raw in fields.items())
        return sorted(records, key=lambda record: (record.destination, record.event_name))

    async def outbox_depth(self, destination: str | None = None) -> int:
        destinations = [destination] if destination is not None else await self._destinations()
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in destinations:
                pipe.xlen(self._keys.stream(name))
            return sum(await pipe.execute())

    async def outbox_depths(self) -> dict[str, int]:
        destinations = await self._destinations()
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in destinations:
                pipe.xlen(self._keys.stream(name))
            return dict(zip(destinations, map(int, await pipe.execute()), strict=True))

    async def dead_letters(self, destination: str | None = None, limit: int = 100) -> list[StatusRecord]:
        if limit <= 0:
            return []
        destinations = [destination] if destination is not None else await self._destinations()
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in destinations:
                pipe.zrange(self._keys.dead(name), 0, limit - 1, withscores=True)
            per_destination = await pipe.execute()
        oldest = sorted(
            (dead_at, name, text(stream_id))
            for name, members in zip(destinations, per_destination, strict=True)
            for stream_id, dead_at in members
        )[:limit]
        async with self._redis.pipeline(transaction=False) as pipe:
            for _, name, stream_id in oldest:
                pipe.hmget(
                    self._keys.dead_entry(name, stream_id),
                    ["event_id", "event_name", "attempts", "reason", "prepared"],
                )
            dead = await pipe.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            for (_, name, _), (event_id, event_name, *_) in zip(oldest, dead, strict=True):
                pipe.hget(
                    self._keys.status(text(event_id or b"")), status_field(name, text(event_name or b""))
                )
            statuses = await pipe.execute()
        records = []
        for (dead_at, name, stream_id), fields, raw_status in zip(oldest, dead, statuses, strict=True):
            if fields[0] is not None:  # else replayed between the reads
                records.append(_dead_letter(name, stream_id, dead_at, fields, raw_status))
        return records

    async def replay_dead_letters(self, entry_ids: Sequence[str] | None, now: float) -> int:
        if entry_ids is None:
            targets = []
            for name in await self._destinations():
                targets += [
                    (name, text(member)) for member in await self._redis.zrange(self._keys.dead(name), 0, -1)
                ]
        else:
            targets = [split for split in map(split_entry_id, entry_ids) if split[0]]
        # The status key needs the event id, which only the dead entry knows: read it first.
        async with self._redis.pipeline(transaction=False) as pipe:
            for name, stream_id in targets:
                pipe.hget(self._keys.dead_entry(name, stream_id), "event_id")
            event_ids = await pipe.execute()
        keys = self._keys
        async with self._redis.pipeline(transaction=False) as pipe:
            for (name, stream_id), event_id in zip(targets, event_ids, strict=True):
                if event_id is not None:
                    queue_script(
                        pipe,
                        redis_scripts.REPLAY_DEAD_LETTER,
                        keys=[
                            *(keys.stream(name), keys.dead(name), keys.dead_entry(name, stream_id)),
                            *(keys.responses(name), keys.status(text(event_id))),
                        ],
                        args=[
                            GROUP,
                            stream_id,
                            repr(now),
                            name,
                            gateway_pb2.DELIVERY_STATE_PENDING,
                            self._status_ttl,
                        ],
                    )
            return sum(await pipe.execute())

    async def prune_statuses(self, updated_before: float, limit: int = 10_000) -> int:
        # Every status key carries a TTL of the retention, refreshed when it changes: Redis
        # forgets old statuses (and their payload keys, same TTL) by itself.
        return 0

    async def close(self) -> None:
        await self._redis.aclose()

    async def _destinations(self) -> list[str]:
        return sorted(text(member) for member in await self._redis.smembers(self._keys.destinations()))


def _dead_letter(
    destination: str, stream_id: str, dead_at: float, fields: list[bytes], raw_status: bytes | None
) -> StatusRecord:
    event_id, event_name, attempts, reason, prepared = fields
    # Without a status (none was recorded, or its TTL passed) the entry was still a SEND.
    status = json.loads(raw_status) if raw_status else {}
    return StatusRecord(
        event_id=text(event_id),
        destination=destination,
        event_name=text(event_name),
        decision=int(status.get("decision", policy_pb2.DECISION_SEND)),
        reason=int(status.get("reason", policy_pb2.REASON_UNSPECIFIED)),
        detail=str(status.get("detail", "")),
        state=int(status.get("state", gateway_pb2.DELIVERY_STATE_DEAD_LETTERED)),
        attempts=int(attempts),
        platform_response=text(reason),
        trace_id=str(status.get("trace_id", "")),
        updated_at=dead_at,
        match_quality=float(status.get("match_quality", 0.0)),
        entry_id=entry_id(destination, stream_id),
        prepared=prepared or b"",
    )
