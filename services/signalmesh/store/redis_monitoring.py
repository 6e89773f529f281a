"""The Redis side of monitoring (DESIGN §11): history, deliveries, observations, alerts, leases,
first sightings and documents.

``queue_history`` and ``queue_deliveries`` only queue commands on the caller's pipeline, so a
batch's counters travel in the MULTI that writes the batch: one round trip, never one per
event. Key layout and encodings: ``redis_layout``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, cast

import redis.asyncio as aioredis

from signalmesh.monitoring.history import DAILY, HOURLY, BucketKey, HistoryDelta, HistoryRow
from signalmesh.store import redis_scripts
from signalmesh.store.base import AlertRecord, DeliveryRecord, Observation
from signalmesh.store.history_rows import (
    checked_increments,
    checked_resolution,
    daily_roll_ups,
    retention_cuts,
)
from signalmesh.store.redis_layout import (
    Keys,
    alert_from_json,
    alert_json,
    bucket_from_member,
    bucket_member,
    delivery_destination,
    delivery_from_json,
    delivery_json,
    delivery_member,
    observation_from_member,
    observation_member,
    text,
)

# Members read, or keys deleted, per pipeline: bounds one reply's size.
_CHUNK = 1000


def queue_history(pipe: Any, keys: Keys, increments: Sequence[tuple[BucketKey, str, float]]) -> None:
    """HINCRBYFLOAT into each hourly bucket's hash, and the bucket onto the hourly index."""
    starts: dict[str, int] = {}
    for key, counter, amount in increments:
        member = bucket_member(key)
        pipe.hincrbyfloat(keys.history_bucket(HOURLY, member), counter, amount)
        starts[member] = key.start
    if starts:
        pipe.zadd(keys.history_index(HOURLY), starts)


def queue_deliveries(pipe: Any, keys: Keys, records: Sequence[DeliveryRecord]) -> None:
    """One record per (event_id, destination): a repeat replaces it, and its event time."""
    if not records:
        return
    by_member = {delivery_member(item.event_id, item.destination): item for item in records}
    pipe.hset(keys.deliveries(), mapping={member: delivery_json(item) for member, item in by_member.items()})
    event_times = {member: item.event_time for member, item in by_member.items()}
    pipe.zadd(keys.deliveries_by_event_time(), event_times)


def _below(cut: float) -> str:
    """A ZRANGEBYSCORE bound: strictly before ``cut``."""
    return f"({cut!r}"


class RedisMonitoring:
    """The monitoring methods of ``RedisStore`` (which sets up the client and key layout)."""

    _redis: aioredis.Redis
    _keys: Keys

    def _register_monitoring_scripts(self) -> None:
        self._acquire_lease_script = self._redis.register_script(redis_scripts.ACQUIRE_LEASE)

    async def add_history(self, history: HistoryDelta, now: float) -> None:
        if increments := checked_increments(history):
            async with self._redis.pipeline(transaction=True) as pipe:
                queue_history(pipe, self._keys, increments)
                await pipe.execute()

    async def read_history(
        self,
        since: float,
        until: float,
        *,
        resolution: str = HOURLY,
        destination: str | None = None,
        event_name: str | None = None,
    ) -> list[HistoryRow]:
        checked_resolution(resolution)
        members = await self._range(self._keys.history_index(resolution), repr(float(since)), _below(until))
        wanted = [
            (key, member)
            for key, member in ((bucket_from_member(member), member) for member in members)
            if _matches(key, destination, event_name)
        ]
        return sorted(await self._buckets(resolution, wanted), key=lambda row: row.key)

    async def roll_up_history(self, now: float, hourly_retention: float, daily_retention: float) -> int:
        """Replace the roll-ups of every ended day that has hourly rows by their sums, then
        forget what the retentions let go. Returns how many daily buckets were written."""
        cuts = retention_cuts(now, hourly_retention, daily_retention)
        keys = self._keys
        members = await self._range(keys.history_index(HOURLY), "-inf", _below(cuts.ended_days))
        hourly = await self._buckets(HOURLY, [(bucket_from_member(member), member) for member in members])
        days = daily_roll_ups(hourly, cuts.ended_days)
        for chunk in _chunks(list(days.items())):
            async with self._redis.pipeline(transaction=True) as pipe:
                for key, counters in chunk:
                    member = bucket_member(key)
                    pipe.delete(keys.history_bucket(DAILY, member))
                    pipe.hset(keys.history_bucket(DAILY, member), mapping=counters)
                    pipe.zadd(keys.history_index(DAILY), {member: key.start})
                await pipe.execute()
        await self._forget_buckets(HOURLY, cuts.hourly)
        await self._forget_buckets(DAILY, cuts.daily)
        await self._forget_deliveries(cuts.records)
        await self._redis.zremrangebyscore(keys.observations(), "-inf", _below(cuts.records))
        return len(days)

    async def delivered_events(
        self, since: float, until: float, destination: str | None = None
    ) -> list[DeliveryRecord]:
        members = await self._range(self._keys.deliveries_by_event_time(), repr(float(since)), _below(until))
        if destination is not None:
            members = [member for member in members if delivery_destination(member) == destination]
        records = []
        for chunk in _chunks(members):
            found = await self._redis.hmget(self._keys.deliveries(), chunk)
            records += [delivery_from_json(raw) for raw in found if raw]
        return sorted(records, key=lambda record: (record.event_time, record.event_id, record.destination))

    async def record_observations(self, observations: Sequence[Observation], now: float) -> None:
        if observations:
            members: dict[str, float] = {}
            for item in observations:
                members.setdefault(observation_member(item), item.event_time)
            await self._redis.zadd(self._keys.observations(), members, nx=True)

    async def observations(self, since: float, until: float) -> list[Observation]:
        members = await self._redis.zrangebyscore(
            self._keys.observations(), repr(float(since)), _below(until), withscores=True
        )
        records = [observation_from_member(member, float(score)) for member, score in cast(Any, members)]
        return sorted(records, key=_observation_order)

    async def alerts(self) -> list[AlertRecord]:
        records = [alert_from_json(raw) for raw in (await self._redis.hgetall(self._keys.alerts())).values()]
        return sorted(records, key=lambda record: (record.fired_at, record.alert_key))

    async def save_alerts(self, records: Sequence[AlertRecord]) -> None:
        if records:
            await self._redis.hset(
                self._keys.alerts(), mapping={record.alert_key: alert_json(record) for record in records}
            )

    async def forget_alerts(self, alert_keys: Sequence[str]) -> None:
        if alert_keys:
            await self._redis.hdel(self._keys.alerts(), *alert_keys)

    async def acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: float) -> bool:
        ttl_ms = max(1, math.ceil(ttl_seconds * 1000))
        taken = await self._acquire_lease_script(
            keys=[self._keys.lease(name)], args=[holder, repr(now), repr(now + ttl_seconds), ttl_ms]
        )
        return bool(taken == 1)

    async def first_seen(self, name: str, now: float) -> float:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.first_seen(name), repr(now), nx=True)
            pipe.get(self._keys.first_seen(name))
            _, seen_at = await pipe.execute()
        return float(seen_at)

    async def put_document(self, kind: str, body: str, now: float) -> None:
        await self._redis.hset(self._keys.document(kind), mapping={"body": body, "put_at": repr(now)})

    async def get_document(self, kind: str) -> tuple[str, float] | None:
        body, put_at = await self._redis.hmget(self._keys.document(kind), ["body", "put_at"])
        return None if body is None or put_at is None else (text(body), float(put_at))

    async def _range(self, index: str, low: str, high: str) -> list[str]:
        """Members of a sorted set scored within [low, high] (a bound may say "(" for strict)."""
        return [text(member) for member in await self._redis.zrangebyscore(index, low, high)]

    async def _buckets(self, resolution: str, wanted: Sequence[tuple[BucketKey, str]]) -> list[HistoryRow]:
        rows = []
        for chunk in _chunks(wanted):
            async with self._redis.pipeline(transaction=False) as pipe:
                for _, member in chunk:
                    pipe.hgetall(self._keys.history_bucket(resolution, member))
                answers = await pipe.execute()
            rows += [
                HistoryRow(key, {text(name): float(amount) for name, amount in counters.items()})
                for (key, _), counters in zip(chunk, answers, strict=True)
                if counters  # else forgotten between the index read and this one
            ]
        return rows

    async def _forget_buckets(self, resolution: str, before: float) -> None:
        index = self._keys.history_index(resolution)
        for chunk in _chunks(await self._range(index, "-inf", _below(before))):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(*(self._keys.history_bucket(resolution, member) for member in chunk))
                pipe.zrem(index, *chunk)
                await pipe.execute()

    async def _forget_deliveries(self, before: float) -> None:
        index = self._keys.deliveries_by_event_time()
        for chunk in _chunks(await self._range(index, "-inf", _below(before))):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self._keys.deliveries(), *chunk)
                pipe.zrem(index, *chunk)
                await pipe.execute()


def _observation_order(item: Observation) -> tuple[float, str, str, str]:
    return (item.event_time, item.event_id, item.event_name, item.destination)


def _matches(key: BucketKey, destination: str | None, event_name: str | None) -> bool:
    return (destination is None or key.destination == destination) and (
        event_name is None or key.event_name == event_name
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
