"""History in both backends: counters added by accept / complete land in their hour bucket, read
back by range and filters, roll up into days idempotently and are forgotten by retention.
Real SQLite file, real Redis; time is the ``now`` passed in, never the wall clock.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from signalmesh.monitoring.history import (
    DAY,
    DECIDED_SEND,
    DELIVERED,
    HOUR,
    RECEIVED,
    TEST,
    VALUE,
    BucketKey,
    HistoryDelta,
    day_start,
    sum_rows,
)
from signalmesh.store import DeliveryRecord, SqliteStore, Store
from signalmesh.store.redis_layout import Keys, bucket_member

from tests.integration.store.test_store_contract import (
    DELIVERED as DELIVERED_STATE,
)
from tests.integration.store.test_store_contract import (
    LEASE,
    T0,
    StoreOpener,
    enqueue,
    entry,
    result,
    status,
)

# Midnight UTC of a day well after T0, so days and hours are easy to name.
DAY0 = day_start(T0) + DAY
HOURLY_RETENTION = 35 * DAY
DAILY_RETENTION = 400 * DAY


def delta(*counts: tuple[float, str, str, str, float], mode: str = "live") -> HistoryDelta:
    """``(at, destination, event_name, counter, amount)`` increments."""
    history = HistoryDelta()
    for at, destination, event_name, counter, amount in counts:
        history.add(at, destination, event_name, counter, amount, mode=mode)
    return history


async def everything(store: Store, resolution: str = "hour") -> dict[BucketKey, dict[str, float]]:
    rows = await store.read_history(0, math.inf, resolution=resolution)
    return {row.key: dict(row.counters) for row in rows}


# --- counting ---


async def test_counts_added_by_accept_land_in_the_hour_bucket_of_their_time_and_add_up(store: Store) -> None:
    first = delta(
        (DAY0 + 10, "meta", "Purchase", RECEIVED, 2),
        (DAY0 + 3599, "meta", "Purchase", DECIDED_SEND, 1),
        (DAY0 + HOUR + 1, "meta", "Purchase", RECEIVED, 1),
    )
    await store.accept([entry("evt-1")], [status("evt-1")], DAY0 + 10, history=first)
    await store.accept([], [], DAY0 + 20, history=delta((DAY0 + 30, "meta", "Purchase", RECEIVED, 3)))

    assert await everything(store) == {
        BucketKey(DAY0, "meta", "Purchase"): {RECEIVED: 5.0, DECIDED_SEND: 1.0},
        BucketKey(DAY0 + HOUR, "meta", "Purchase"): {RECEIVED: 1.0},
    }
    # The batch itself was written as before.
    claimed = await store.claim_outbox("meta", 10, LEASE, DAY0 + 10)
    assert [item.event_id for item in claimed] == ["evt-1"]


async def test_complete_adds_its_counters_with_the_outcomes(store: Store) -> None:
    await enqueue(store, entry("evt-1"), now=DAY0)
    [claimed] = await store.claim_outbox("meta", 10, LEASE, DAY0)
    counted = delta(
        (DAY0 + 5, "meta", "Purchase", DELIVERED, 1), (DAY0 + 5, "meta", "Purchase", f"{VALUE}EUR", 49.9)
    )

    await store.complete([result(claimed, DELIVERED_STATE, "ok")], DAY0 + 5, history=counted)

    [row] = await store.read_history(DAY0, DAY0 + HOUR)
    assert row.key == BucketKey(DAY0, "meta", "Purchase")
    assert row.get(DELIVERED) == 1.0
    assert row.get(f"{VALUE}EUR") == pytest.approx(49.9)
    assert [record.state for record in await store.event_status("evt-1")] == [DELIVERED_STATE]


async def test_value_sums_add_fractions_across_batches(store: Store) -> None:
    for amount in (49.9, 10.1, 0.25):
        await store.add_history(delta((DAY0, "meta", "Purchase", f"{VALUE}EUR", amount)), DAY0)

    [row] = await store.read_history(DAY0, DAY0 + HOUR)
    assert row.family(VALUE) == {"EUR": pytest.approx(60.25)}


async def test_a_batch_whose_events_were_all_rejected_is_counted_through_add_history(store: Store) -> None:
    rejected = delta((DAY0, "meta", "Lead", RECEIVED, 3), (DAY0, "meta", "Lead", "rejected.value.decimal", 3))

    await store.add_history(rejected, DAY0)

    [row] = await store.read_history(DAY0, DAY0 + HOUR)
    assert row.family("rejected.") == {"value.decimal": 3.0}
    assert row.get(RECEIVED) == 3.0
    assert await store.outbox_depth() == 0


async def test_live_and_test_events_are_kept_in_buckets_of_their_own(store: Store) -> None:
    await store.add_history(delta((DAY0, "meta", "Purchase", RECEIVED, 1)), DAY0)
    await store.add_history(delta((DAY0, "meta", "Purchase", RECEIVED, 4), mode=TEST), DAY0)

    assert await everything(store) == {
        BucketKey(DAY0, "meta", "Purchase", "live"): {RECEIVED: 1.0},
        BucketKey(DAY0, "meta", "Purchase", TEST): {RECEIVED: 4.0},
    }


async def test_an_amount_that_is_not_a_finite_number_refuses_the_whole_batch(store: Store) -> None:
    broken = delta((DAY0, "meta", "Purchase", RECEIVED, 1), (DAY0, "meta", "Purchase", "value.EUR", math.nan))

    with pytest.raises(ValueError, match="not a finite number"):
        await store.accept([entry("evt-1")], [status("evt-1")], DAY0, history=broken)

    assert await everything(store) == {}
    assert await store.outbox_depth() == 0
    assert await store.event_status("evt-1") == []


# --- reading ---


async def test_read_history_returns_buckets_starting_in_the_range_oldest_first_filtered(store: Store) -> None:
    await store.add_history(
        delta(
            (DAY0 + 2 * HOUR, "meta", "Purchase", RECEIVED, 1),
            (DAY0, "meta", "Purchase", RECEIVED, 2),
            (DAY0 + HOUR, "google", "Purchase", RECEIVED, 3),
            (DAY0 + HOUR, "meta", "Lead", RECEIVED, 4),
            (DAY0 + 3 * HOUR, "meta", "Purchase", RECEIVED, 5),
        ),
        DAY0,
    )

    in_range = await store.read_history(DAY0, DAY0 + 3 * HOUR)
    assert [(row.key.start, row.key.destination, row.key.event_name) for row in in_range] == [
        (DAY0, "meta", "Purchase"),
        (DAY0 + HOUR, "google", "Purchase"),
        (DAY0 + HOUR, "meta", "Lead"),
        (DAY0 + 2 * HOUR, "meta", "Purchase"),
    ]
    meta = await store.read_history(DAY0, DAY0 + 3 * HOUR, destination="meta")
    assert [row.get(RECEIVED) for row in meta] == [2.0, 4.0, 1.0]
    purchases = await store.read_history(DAY0, DAY0 + 4 * HOUR, destination="meta", event_name="Purchase")
    assert [row.get(RECEIVED) for row in purchases] == [2.0, 1.0, 5.0]
    # since is inclusive, until exclusive, both at bucket starts
    assert [row.key.start for row in await store.read_history(DAY0 + HOUR, DAY0 + 2 * HOUR)] == [
        DAY0 + HOUR,
        DAY0 + HOUR,
    ]
    assert await store.read_history(DAY0, DAY0 + 4 * HOUR, destination="tiktok") == []


async def test_read_history_refuses_an_unknown_resolution(store: Store) -> None:
    with pytest.raises(ValueError, match="resolution"):
        await store.read_history(0, DAY0, resolution="minute")


# --- roll-ups and retention ---


async def test_roll_up_sums_the_hours_of_each_ended_day_and_running_it_again_changes_nothing(
    store: Store,
) -> None:
    await store.add_history(
        delta(
            (DAY0 + 1 * HOUR, "meta", "Purchase", RECEIVED, 2),
            (DAY0 + 5 * HOUR, "meta", "Purchase", RECEIVED, 3),
            (DAY0 + 5 * HOUR, "meta", "Purchase", DELIVERED, 3),
            (DAY0 + 23 * HOUR, "google", "Purchase", RECEIVED, 7),
            (DAY0 + DAY + 2 * HOUR, "meta", "Purchase", RECEIVED, 11),  # today: not ended
        ),
        DAY0,
    )
    now = DAY0 + DAY + 3 * HOUR

    assert await store.roll_up_history(now, HOURLY_RETENTION, DAILY_RETENTION) == 2
    expected = {
        BucketKey(DAY0, "google", "Purchase"): {RECEIVED: 7.0},
        BucketKey(DAY0, "meta", "Purchase"): {RECEIVED: 5.0, DELIVERED: 3.0},
    }
    assert await everything(store, "day") == expected
    assert await store.roll_up_history(now, HOURLY_RETENTION, DAILY_RETENTION) == 2
    assert await everything(store, "day") == expected, "a second roll-up added the day again"
    # The hours stay (within retention) and still read the same.
    assert sum_rows(await store.read_history(DAY0, DAY0 + DAY, destination="meta"))[RECEIVED] == 5.0


async def test_roll_up_adds_a_days_hours_in_time_order_to_the_last_bit(store: Store) -> None:
    # Float sums depend on their order: in time order these hours give exactly 1.0, some other
    # orders 0.0 or 2.0. The report compares figures from the roll-up with sums
    # made in time order, so the roll-up must be that sum, every time.
    amounts = [1e16, 1.0, -1e16, 1.0, 0.0]
    await store.add_history(
        delta(
            *(
                (DAY0 + hour * HOUR, "meta", "Purchase", "value.EUR", amount)
                for hour, amount in enumerate(amounts)
            )
        ),
        DAY0,
    )

    await store.roll_up_history(DAY0 + DAY + HOUR, HOURLY_RETENTION, DAILY_RETENTION)

    in_time_order = 0.0
    for amount in amounts:
        in_time_order += amount
    assert in_time_order == 1.0
    assert await everything(store, "day") == {BucketKey(DAY0, "meta", "Purchase"): {"value.EUR": 1.0}}


async def test_a_late_count_for_an_ended_day_is_in_its_next_roll_up(store: Store) -> None:
    await store.add_history(delta((DAY0 + HOUR, "meta", "Purchase", DELIVERED, 2)), DAY0)
    now = DAY0 + DAY + HOUR
    await store.roll_up_history(now, HOURLY_RETENTION, DAILY_RETENTION)

    # e.g. a retry delivered after midnight, counted in its event's hour
    await store.add_history(delta((DAY0 + 2 * HOUR, "meta", "Purchase", DELIVERED, 1)), now)
    await store.roll_up_history(now + HOUR, HOURLY_RETENTION, DAILY_RETENTION)

    [day] = await store.read_history(DAY0, DAY0 + DAY, resolution="day")
    assert day.get(DELIVERED) == 3.0


async def test_roll_up_forgets_rows_past_their_retention_hours_a_whole_day_at_a_time(store: Store) -> None:
    old_day, kept_day = DAY0, DAY0 + 10 * DAY
    await store.add_history(
        delta(
            (old_day + HOUR, "meta", "Purchase", RECEIVED, 1),
            (old_day + 23 * HOUR, "meta", "Purchase", RECEIVED, 2),
            (kept_day + HOUR, "meta", "Purchase", RECEIVED, 4),
        ),
        DAY0,
    )

    # The hourly cut falls inside the old day (at 12:00): the day keeps all its hours, so its
    # roll-up is never recomputed from part of them.
    assert (
        await store.roll_up_history(old_day + 12 * HOUR + HOURLY_RETENTION, HOURLY_RETENTION, DAILY_RETENTION)
        == 2
    )
    assert len(await store.read_history(0, math.inf)) == 3

    # Once the cut passes the old day's end, its hours go; its roll-up outlives them.
    assert (
        await store.roll_up_history(old_day + DAY + HOURLY_RETENTION, HOURLY_RETENTION, DAILY_RETENTION) == 2
    )
    assert [row.key.start for row in await store.read_history(0, math.inf)] == [kept_day + HOUR]
    assert await everything(store, "day") == {
        BucketKey(old_day, "meta", "Purchase"): {RECEIVED: 3.0},
        BucketKey(kept_day, "meta", "Purchase"): {RECEIVED: 4.0},
    }
    assert (
        await store.roll_up_history(old_day + DAY + HOURLY_RETENTION, HOURLY_RETENTION, DAILY_RETENTION) == 1
    )

    # Daily retention: the old day goes, the kept day (newer than the cut) stays.
    await store.roll_up_history(kept_day - DAY + DAILY_RETENTION, HOURLY_RETENTION, DAILY_RETENTION)
    assert await everything(store, "day") == {BucketKey(kept_day, "meta", "Purchase"): {RECEIVED: 4.0}}
    assert await store.read_history(0, math.inf) == []


async def test_roll_up_forgets_delivery_records_with_the_hourly_retention(store: Store) -> None:
    await enqueue(store, entry("evt-old"), entry("evt-new"), now=DAY0)
    old, new = await store.claim_outbox("meta", 10, LEASE, DAY0)
    records = [
        DeliveryRecord("evt-old", "meta", "Purchase", event_time=DAY0, delivered_at=DAY0 + 1),
        DeliveryRecord("evt-new", "meta", "Purchase", event_time=DAY0 + 5 * DAY, delivered_at=DAY0 + 5 * DAY),
    ]
    await store.complete(
        [result(old, DELIVERED_STATE), result(new, DELIVERED_STATE)], DAY0 + 1, deliveries=records
    )

    await store.roll_up_history(DAY0 + DAY + HOURLY_RETENTION, HOURLY_RETENTION, DAILY_RETENTION)

    assert [record.event_id for record in await store.delivered_events(0, math.inf)] == ["evt-new"]


# --- atomicity ---


async def test_a_reader_never_sees_a_batchs_entries_without_its_counts(backend: StoreOpener) -> None:
    """Each snapshot (one SQLite read transaction, one Redis MULTI) holds as many outbox entries
    as the received counter says: the counts are written in the batch's own transaction."""
    writer = backend.open()
    await writer.accept([], [], DAY0)  # the file (or namespace) exists before the reader looks
    batches, per_batch = 40, 5
    done = asyncio.Event()
    snapshots: list[tuple[int, float]] = []

    async def write() -> None:
        for batch in range(batches):
            entries = [entry(f"evt-{batch}-{number}") for number in range(per_batch)]
            counted = delta((DAY0, "meta", "Purchase", RECEIVED, per_batch))
            await writer.accept(entries, [status(item.event_id) for item in entries], DAY0, history=counted)
        done.set()

    if backend.kind == "sqlite":
        reader = sqlite3.connect(backend.location, isolation_level=None, check_same_thread=False)

        def snapshot() -> tuple[int, float]:
            reader.execute("BEGIN")
            try:
                (depth,) = reader.execute("SELECT COUNT(*) FROM outbox").fetchone()
                (received,) = reader.execute(
                    "SELECT COALESCE(SUM(amount), 0) FROM history WHERE counter = ?", (RECEIVED,)
                ).fetchone()
            finally:
                reader.execute("COMMIT")
            return int(depth), float(received)

        async def read() -> None:
            while not done.is_set():
                snapshots.append(await asyncio.to_thread(snapshot))

        try:
            await asyncio.gather(write(), read())
        finally:
            reader.close()
    else:
        client = aioredis.Redis.from_url(backend.location)
        keys = Keys(backend.namespace)
        bucket = keys.history_bucket("hour", bucket_member(BucketKey(DAY0, "meta", "Purchase")))

        async def read() -> None:
            while not done.is_set():
                async with client.pipeline(transaction=True) as pipe:
                    pipe.xlen(keys.stream("meta"))
                    pipe.hget(bucket, RECEIVED)
                    depth, received = await pipe.execute()
                snapshots.append((int(depth), float(received or 0)))

        try:
            await asyncio.gather(write(), read())
        finally:
            await client.aclose()

    assert snapshots, "the reader never looked"
    assert all(depth == received for depth, received in snapshots), [
        snapshot for snapshot in snapshots if snapshot[0] != snapshot[1]
    ]
    assert await writer.outbox_depth() == batches * per_batch


async def test_sqlite_when_the_history_write_fails_the_batch_is_not_written_either(tmp_path: Path) -> None:
    path = tmp_path / "signalmesh.db"
    store = SqliteStore(path)
    try:
        await store.accept([], [], DAY0)  # schema in place
        with sqlite3.connect(path) as saboteur:
            saboteur.execute(
                "CREATE TRIGGER refuse_history BEFORE INSERT ON history "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )

        with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
            await store.accept(
                [entry("evt-1")],
                [status("evt-1")],
                DAY0,
                history=delta((DAY0, "meta", "Purchase", RECEIVED, 1)),
            )

        assert await store.outbox_depth() == 0
        assert await store.event_status("evt-1") == []
        assert await store.read_history(0, math.inf) == []
        # Without history the same batch goes through: the trigger is what refused it.
        await store.accept([entry("evt-1")], [status("evt-1")], DAY0)
        assert await store.outbox_depth() == 1
    finally:
        await store.close()
