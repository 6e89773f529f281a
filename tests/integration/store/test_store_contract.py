"""The one behaviour suite every state backend passes: SQLite on a real file, Redis on a real server.

Times are passed explicitly (``T0`` plus offsets), so expiry, leases and retries are tested by
moving ``now``, never by sleeping.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import stat
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis
from signalmesh.config import Config, StoreConfig
from signalmesh.store import (
    DeliveryResult,
    NewEntry,
    OutboxEntry,
    RedisStore,
    SqliteStore,
    StatusRecord,
    Store,
    open_store,
)
from signalmesh.v1 import gateway_pb2, policy_pb2

T0 = 1_700_000_000.0
WINDOW = 48 * 3600.0
LEASE = 30.0
PENDING = gateway_pb2.DELIVERY_STATE_PENDING
RETRYING = gateway_pb2.DELIVERY_STATE_RETRYING
DELIVERED = gateway_pb2.DELIVERY_STATE_DELIVERED
REJECTED = gateway_pb2.DELIVERY_STATE_REJECTED
DEAD = gateway_pb2.DELIVERY_STATE_DEAD_LETTERED


class StoreOpener(Protocol):
    """The ``backend`` fixture: opens more stores on the same state (see conftest.py)."""

    kind: str
    location: str
    namespace: str

    def open(self) -> Store: ...


def entry(event_id: str, destination: str = "meta") -> NewEntry:
    return NewEntry(
        destination=destination,
        event_id=event_id,
        event_name="Purchase",
        prepared=b"\x0a\x03" + event_id.encode() + b"\x00\xff",  # binary, like a serialized protobuf
        traceparent=f"00-{'a' * 32}-{'b' * 16}-01",
    )


def status(event_id: str, destination: str = "meta", **changes: Any) -> StatusRecord:
    record = StatusRecord(
        event_id=event_id,
        destination=destination,
        event_name="Purchase",
        decision=policy_pb2.DECISION_SEND,
        reason=policy_pb2.REASON_ELIGIBLE,
        detail="",
        state=PENDING,
        trace_id="a" * 32,
    )
    return replace(record, **changes)


async def enqueue(store: Store, *entries: NewEntry, now: float = T0) -> None:
    await store.accept(entries, [status(item.event_id, item.destination) for item in entries], now)


def result(
    claimed: OutboxEntry, state: int, response: str = "", next_attempt_at: float = 0.0
) -> DeliveryResult:
    return DeliveryResult(
        claimed.entry_id, claimed.event_id, claimed.destination, state, response, next_attempt_at
    )


# --- dedup ledger ---


async def test_a_new_key_is_claimed_once(store: Store) -> None:
    assert await store.claim_dedup_keys(["meta:evt-1"], WINDOW, T0) == [True]
    assert await store.claim_dedup_keys(["meta:evt-1"], WINDOW, T0 + 1) == [False]


async def test_a_key_repeated_in_one_call_is_claimed_by_its_first_occurrence_only(store: Store) -> None:
    assert await store.claim_dedup_keys(["a", "b", "a", "a"], WINDOW, T0) == [True, True, False, False]


async def test_a_claim_expires_once_the_window_has_passed(store: Store) -> None:
    await store.claim_dedup_keys(["k"], 60.0, T0)

    assert await store.dedup_keys_claimed(["k"], 60.0, T0 + 59.5) == [True]
    assert await store.claim_dedup_keys(["k"], 60.0, T0 + 59.5) == [False]
    assert await store.dedup_keys_claimed(["k"], 60.0, T0 + 60.0) == [False]
    assert await store.claim_dedup_keys(["k"], 60.0, T0 + 60.0) == [True]
    # The new claim starts a new window.
    assert await store.claim_dedup_keys(["k"], 60.0, T0 + 119.0) == [False]


async def test_checking_a_key_does_not_claim_it(store: Store) -> None:
    assert await store.dedup_keys_claimed(["k", "other"], WINDOW, T0) == [False, False]
    assert await store.claim_dedup_keys(["k"], WINDOW, T0) == [True]
    assert await store.dedup_keys_claimed(["k", "other"], WINDOW, T0) == [True, False]


async def test_concurrent_claims_of_one_key_from_many_tasks_have_exactly_one_winner(store: Store) -> None:
    answers = await asyncio.gather(*(store.claim_dedup_keys(["hot"], WINDOW, T0) for _ in range(50)))

    assert sorted(answer[0] for answer in answers) == [False] * 49 + [True]


async def test_two_stores_on_the_same_state_never_both_claim_a_key(backend: StoreOpener) -> None:
    first, second = backend.open(), backend.open()
    keys = [f"key-{number}" for number in range(100)]

    async def claim_one_by_one(store: Store, order: list[str]) -> set[str]:
        won = set()
        for key in order:
            if (await store.claim_dedup_keys([key], WINDOW, T0))[0]:
                won.add(key)
        return won

    won_first, won_second = await asyncio.gather(
        claim_one_by_one(first, random.sample(keys, len(keys))),
        claim_one_by_one(second, random.sample(keys, len(keys))),
    )

    assert won_first.isdisjoint(won_second)
    assert won_first | won_second == set(keys)


# A claimant in its own process: one key per stdin line, "1" (won) or "0" per stdout line.
_CLAIMING_PROCESS = """
import asyncio, sys
from pathlib import Path

async def main() -> None:
    kind, location, namespace = sys.argv[1:4]
    if kind == "sqlite":
        from signalmesh.store.sqlite import SqliteStore
        store = SqliteStore(Path(location))
    else:
        from signalmesh.store.redis import RedisStore
        store = RedisStore(location, namespace=namespace)
    await store.dedup_keys_claimed(["warm-up"], 1.0, 0.0)  # connected before the first key
    print("ready", flush=True)
    while key := sys.stdin.readline().strip():
        print(int((await store.claim_dedup_keys([key], 3600.0, 1000.0))[0]), flush=True)
    await store.close()

asyncio.run(main())
"""


async def test_two_processes_racing_for_a_key_never_both_claim_it(backend: StoreOpener) -> None:
    processes = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", _CLAIMING_PROCESS, backend.kind, backend.location, backend.namespace),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    pipes = [(process.stdin, process.stdout) for process in processes]
    for _, answers in pipes:
        assert answers is not None
        assert await asyncio.wait_for(answers.readline(), timeout=30) == b"ready\n"

    winners = []
    for round_number in range(40):  # each round, both are sent the same new key at once
        for questions, _ in pipes:
            assert questions is not None
            questions.write(f"key-{round_number}\n".encode())
        await asyncio.gather(*(questions.drain() for questions, _ in pipes if questions is not None))
        won = [await asyncio.wait_for(answers.readline(), timeout=30) for _, answers in pipes if answers]
        winners.append(won)

    for questions, _ in pipes:
        assert questions is not None
        questions.close()
    assert [await asyncio.wait_for(process.wait(), timeout=30) for process in processes] == [0, 0]
    assert all(sorted(won) == [b"0\n", b"1\n"] for won in winners), winners


# --- outbox ---


async def test_claim_returns_accepted_entries_oldest_first_up_to_the_limit(store: Store) -> None:
    await enqueue(store, *(entry(f"evt-{number}") for number in range(5)), entry("evt-g", "google"))

    first = await store.claim_outbox("meta", 3, LEASE, T0)
    second = await store.claim_outbox("meta", 3, LEASE, T0)

    assert [claimed.event_id for claimed in first] == ["evt-0", "evt-1", "evt-2"]
    assert [claimed.event_id for claimed in second] == ["evt-3", "evt-4"]
    assert await store.claim_outbox("meta", 3, LEASE, T0) == []
    claimed = first[0]
    assert (claimed.destination, claimed.event_name, claimed.prepared, claimed.traceparent) == (
        "meta",
        "Purchase",
        entry("evt-0").prepared,
        entry("evt-0").traceparent,
    )
    assert (claimed.attempts, claimed.enqueued_at) == (0, T0)
    assert [claimed.event_id for claimed in await store.claim_outbox("google", 10, LEASE, T0)] == ["evt-g"]


async def test_claiming_an_empty_or_unknown_destination_returns_nothing(store: Store) -> None:
    assert await store.claim_outbox("nowhere", 10, LEASE, T0) == []


async def test_a_leased_entry_is_claimed_again_only_after_its_lease_expires(store: Store) -> None:
    await enqueue(store, entry("evt-1"))
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)

    assert await store.claim_outbox("meta", 10, LEASE, T0 + LEASE - 1) == []
    [again] = await store.claim_outbox("meta", 10, LEASE, T0 + LEASE)

    assert again == claimed
    # The new claim holds a new lease.
    assert await store.claim_outbox("meta", 10, LEASE, T0 + LEASE + 1) == []


async def test_workers_claiming_together_never_get_the_same_entry(backend: StoreOpener) -> None:
    workers = [backend.open() for _ in range(3)]
    await enqueue(workers[0], *(entry(f"evt-{number}") for number in range(60)))

    async def drain(worker: Store) -> list[str]:
        taken: list[str] = []
        while batch := await worker.claim_outbox("meta", 7, LEASE, T0):
            taken += [claimed.entry_id for claimed in batch]
        return taken

    taken = [
        entry_id
        for batch in await asyncio.gather(*(drain(worker) for worker in workers))
        for entry_id in batch
    ]

    assert len(taken) == 60
    assert len(set(taken)) == 60


async def test_delivered_and_rejected_entries_leave_the_outbox_and_record_their_state_rejected_kept_as_dead_letters(  # noqa: E501 — a test name cannot be split
    store: Store,
) -> None:
    await enqueue(store, entry("evt-ok"), entry("evt-bad"))
    ok, bad = await store.claim_outbox("meta", 10, LEASE, T0)

    await store.complete(
        [
            result(ok, DELIVERED, '{"events_received": 1}'),
            result(bad, REJECTED, "(#100) Invalid parameter: em"),
        ],
        T0 + 2,
    )

    assert await store.outbox_depth() == 0
    assert await store.claim_outbox("meta", 10, LEASE, T0 + 1000) == []
    [delivered] = await store.event_status("evt-ok")
    [rejected] = await store.event_status("evt-bad")
    assert (delivered.state, delivered.attempts, delivered.platform_response, delivered.updated_at) == (
        DELIVERED,
        1,
        '{"events_received": 1}',
        T0 + 2,
    )
    assert (rejected.state, rejected.attempts, rejected.platform_response) == (
        REJECTED,
        1,
        "(#100) Invalid parameter: em",
    )
    # The refusal is kept (request and response) for inspection and a replay once fixed.
    [kept] = await store.dead_letters()
    assert (kept.event_id, kept.state, kept.platform_response) == (
        "evt-bad",
        REJECTED,
        "(#100) Invalid parameter: em",
    )
    assert kept.prepared == bad.prepared
    assert await store.replay_dead_letters([kept.entry_id], T0 + 10) == 1
    [again] = await store.claim_outbox("meta", 10, LEASE, T0 + 11)
    assert again.event_id == "evt-bad"


async def test_completing_an_entry_a_second_time_changes_nothing(store: Store) -> None:
    await enqueue(store, entry("evt-1"))
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)
    await store.complete([result(claimed, DELIVERED, "first")], T0 + 1)

    # e.g. a worker whose lease had expired reports late
    await store.complete([result(claimed, RETRYING, "late", next_attempt_at=T0 + 5)], T0 + 2)

    [record] = await store.event_status("evt-1")
    assert (record.state, record.attempts, record.platform_response) == (DELIVERED, 1, "first")
    assert await store.outbox_depth() == 0


async def test_a_retrying_entry_waits_for_its_next_attempt_then_returns_with_the_same_id(
    store: Store,
) -> None:
    await enqueue(store, entry("evt-1"))
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)

    # Sooner than the lease would end: a retry clears the lease.
    await store.complete([result(claimed, RETRYING, "HTTP 503", next_attempt_at=T0 + 5)], T0 + 1)

    assert await store.outbox_depth("meta") == 1
    assert await store.claim_outbox("meta", 10, LEASE, T0 + 4.5) == []
    [retried] = await store.claim_outbox("meta", 10, LEASE, T0 + 5)
    assert (retried.entry_id, retried.event_id, retried.attempts, retried.prepared) == (
        claimed.entry_id,
        "evt-1",
        1,
        claimed.prepared,
    )
    [record] = await store.event_status("evt-1")
    assert (record.state, record.attempts, record.platform_response, record.updated_at) == (
        RETRYING,
        1,
        "HTTP 503",
        T0 + 1,
    )


async def test_complete_refuses_a_state_that_does_not_end_an_attempt(store: Store) -> None:
    await enqueue(store, entry("evt-1"))
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)

    with pytest.raises(ValueError, match="not a state"):
        await store.complete([result(claimed, PENDING)], T0 + 1)
    assert await store.outbox_depth() == 1


async def test_a_dead_letter_keeps_what_a_replay_needs_and_replays_with_attempts_reset(store: Store) -> None:
    await enqueue(store, entry("evt-1"), entry("evt-2"))
    first, _ = await store.claim_outbox("meta", 10, LEASE, T0)
    await store.complete([result(first, RETRYING, "HTTP 503", next_attempt_at=T0 + 10)], T0 + 1)
    [retried] = await store.claim_outbox("meta", 1, LEASE, T0 + 10)
    assert retried.event_id == "evt-1"
    await store.complete([result(retried, DEAD, "HTTP 503 after 2 attempts")], T0 + 11)

    [dead] = await store.dead_letters()
    assert (dead.event_id, dead.destination, dead.state, dead.attempts) == ("evt-1", "meta", DEAD, 2)
    assert (dead.platform_response, dead.updated_at, dead.entry_id != "") == (
        "HTTP 503 after 2 attempts",
        T0 + 11,
        True,
    )
    assert (dead.decision, dead.reason, dead.trace_id) == (
        policy_pb2.DECISION_SEND,
        policy_pb2.REASON_ELIGIBLE,
        "a" * 32,
    )
    assert dead.prepared == retried.prepared, "the dead letter lost the event its last request was built from"
    assert await store.dead_letters("google") == []
    assert await store.outbox_depth() == 1  # evt-2, still leased

    assert await store.replay_dead_letters([dead.entry_id], T0 + 100) == 1

    assert await store.dead_letters() == []
    [record] = await store.event_status("evt-1")
    assert (record.state, record.attempts, record.updated_at) == (PENDING, 0, T0 + 100)
    replayed = [
        claimed
        for claimed in await store.claim_outbox("meta", 10, LEASE, T0 + 100)
        if claimed.event_id == "evt-1"
    ]
    assert len(replayed) == 1
    assert (replayed[0].attempts, replayed[0].prepared, replayed[0].traceparent) == (
        0,
        entry("evt-1").prepared,
        entry("evt-1").traceparent,
    )


async def test_replaying_without_ids_moves_every_dead_letter_back(store: Store) -> None:
    await enqueue(store, entry("evt-1", "meta"), entry("evt-1", "google"), entry("evt-2", "meta"))
    claimed = await store.claim_outbox("meta", 10, LEASE, T0) + await store.claim_outbox(
        "google", 10, LEASE, T0
    )
    await store.complete([result(item, DEAD, "gave up") for item in claimed], T0 + 1)
    assert len(await store.dead_letters(limit=2)) == 2
    assert [(dead.event_id, dead.destination) for dead in await store.dead_letters("meta")] == [
        ("evt-1", "meta"),
        ("evt-2", "meta"),
    ]

    assert await store.replay_dead_letters(None, T0 + 2) == 3

    assert await store.dead_letters() == []
    assert (await store.outbox_depth("meta"), await store.outbox_depth("google")) == (2, 1)


async def test_replaying_unknown_entry_ids_moves_nothing(store: Store) -> None:
    assert await store.replay_dead_letters(["12345", "meta/0-1", "not an id"], T0) == 0


# --- status and depth ---


async def test_event_status_lists_every_destination_of_one_event_in_order(store: Store) -> None:
    skipped = status(
        "evt-1",
        "tiktok",
        decision=policy_pb2.DECISION_SKIP,
        reason=policy_pb2.REASON_MISSING_CLICK_ID,
        detail="strict: no ttclid — send one or use send_all",
        state=gateway_pb2.DELIVERY_STATE_SKIPPED,
        updated_at=T0 - 0.25,
    )
    await store.accept(
        [entry("evt-1", "meta"), entry("evt-1", "google")],
        [status("evt-1", "meta"), skipped, status("evt-1", "google"), status("evt-2", "meta")],
        T0,
    )

    records = await store.event_status("evt-1")

    assert [record.destination for record in records] == ["google", "meta", "tiktok"]
    assert records[2] == skipped
    assert records[1] == status("evt-1", "meta", updated_at=T0)  # no time given: the accept's


async def test_accept_overwrites_an_events_earlier_status_at_a_destination(store: Store) -> None:
    await store.accept([], [status("evt-1", state=gateway_pb2.DELIVERY_STATE_SKIPPED)], T0)
    await store.accept([entry("evt-1")], [status("evt-1")], T0 + 1)

    assert [record.state for record in await store.event_status("evt-1")] == [PENDING]


async def test_a_statuss_match_quality_survives_every_delivery_step(store: Store) -> None:
    """The score is the accept's; retries, completion, dead letters and replay keep it."""
    await store.accept(
        [entry("evt-1"), entry("evt-2")],
        [status("evt-1", match_quality=6.6), status("evt-2", match_quality=8.25)],
        T0,
    )
    first, second = await store.claim_outbox("meta", 10, LEASE, T0)
    await store.complete(
        [result(first, RETRYING, "HTTP 503", next_attempt_at=T0 + 10), result(second, DELIVERED, "ok")],
        T0 + 1,
    )
    [retrying] = await store.event_status("evt-1")
    [delivered] = await store.event_status("evt-2")
    assert (retrying.state, retrying.match_quality) == (RETRYING, 6.6)
    assert (delivered.state, delivered.match_quality) == (DELIVERED, 8.25)

    [retried] = await store.claim_outbox("meta", 10, LEASE, T0 + 10)
    await store.complete([result(retried, DEAD, "gave up")], T0 + 11)
    [dead] = await store.dead_letters()
    assert (dead.event_id, dead.match_quality) == ("evt-1", 6.6)
    assert await store.replay_dead_letters([dead.entry_id], T0 + 20) == 1
    [replayed] = await store.event_status("evt-1")
    assert (replayed.state, replayed.match_quality) == (PENDING, 6.6)


async def test_status_of_an_unknown_event_is_empty(store: Store) -> None:
    assert await store.event_status("never-seen") == []


async def test_outbox_depth_counts_pending_leased_and_retrying_entries(store: Store) -> None:
    await enqueue(store, entry("evt-1"), entry("evt-2"), entry("evt-3"), entry("evt-1", "google"))
    assert (
        await store.outbox_depth(),
        await store.outbox_depth("meta"),
        await store.outbox_depth("nowhere"),
    ) == (4, 3, 0)

    leased, retrying = await store.claim_outbox("meta", 2, LEASE, T0)
    await store.complete([result(retrying, RETRYING, "HTTP 429", next_attempt_at=T0 + 60)], T0)
    assert await store.outbox_depth() == 4

    await store.complete([result(leased, DELIVERED)], T0)
    assert (await store.outbox_depth(), await store.outbox_depth("meta")) == (3, 2)


async def nonempty_depths(store: Store) -> dict[str, int]:
    """``outbox_depths`` without the destinations at 0 (a backend may list or omit those)."""
    return {name: depth for name, depth in (await store.outbox_depths()).items() if depth}


async def test_outbox_depths_counts_every_destination_in_one_read(store: Store) -> None:
    assert await nonempty_depths(store) == {}
    await enqueue(store, entry("evt-1"), entry("evt-2"), entry("evt-3"), entry("evt-1", "google"))
    [leased] = await store.claim_outbox("meta", 1, LEASE, T0)
    assert await nonempty_depths(store) == {"meta": 3, "google": 1}

    await store.complete([result(leased, DELIVERED)], T0)
    assert await nonempty_depths(store) == {"meta": 2, "google": 1}


async def test_event_statuses_reads_many_events_at_once_in_order(store: Store) -> None:
    await enqueue(store, entry("evt-2"), entry("evt-1", "google"), entry("evt-1"), entry("evt-3"))

    records = await store.event_statuses(["evt-3", "evt-1", "never-seen", "evt-1"])

    assert [(record.event_id, record.destination) for record in records] == [
        ("evt-1", "google"),
        ("evt-1", "meta"),
        ("evt-3", "meta"),
    ]
    assert records == [*await store.event_status("evt-1"), *await store.event_status("evt-3")]
    assert await store.event_statuses([]) == []


async def test_one_completion_of_a_mixed_batch_settles_each_entry_by_its_own_outcome(store: Store) -> None:
    await enqueue(store, *(entry(f"evt-{n}") for n in range(6)), entry("evt-0", "google"))
    claimed = [
        *await store.claim_outbox("meta", 10, LEASE, T0),
        *await store.claim_outbox("google", 10, LEASE, T0),
    ]
    outcome = [DELIVERED, REJECTED, RETRYING, DEAD, DELIVERED, RETRYING, DELIVERED]

    await store.complete(
        [
            result(item, state, f"answer {n}", next_attempt_at=T0 + 60)
            for n, (item, state) in enumerate(zip(claimed, outcome, strict=True))
        ],
        T0 + 1,
    )

    records = await store.event_statuses([item.event_id for item in claimed])
    settled = {(record.event_id, record.destination): (record.state, record.attempts) for record in records}
    assert settled == {
        (item.event_id, item.destination): (state, 1) for item, state in zip(claimed, outcome, strict=True)
    }
    assert sorted(dead.event_id for dead in await store.dead_letters()) == ["evt-1", "evt-3"]
    assert await nonempty_depths(store) == {"meta": 2}
    again = await store.claim_outbox("meta", 10, LEASE, T0 + 61)
    assert sorted((item.event_id, item.attempts) for item in again) == [("evt-2", 1), ("evt-5", 1)]


async def test_state_survives_closing_and_reopening_the_store(backend: StoreOpener) -> None:
    first = backend.open()
    await first.claim_dedup_keys(["meta:evt-1"], WINDOW, T0)
    await enqueue(first, entry("evt-1"), entry("evt-2"))
    [doomed] = await first.claim_outbox("meta", 1, LEASE, T0)
    await first.complete([result(doomed, DEAD, "gave up")], T0 + 1)
    await first.close()

    reopened = backend.open()

    assert await reopened.claim_dedup_keys(["meta:evt-1"], WINDOW, T0 + 2) == [False]
    assert [claimed.event_id for claimed in await reopened.claim_outbox("meta", 10, LEASE, T0 + 2)] == [
        "evt-2"
    ]
    assert [dead.event_id for dead in await reopened.dead_letters()] == ["evt-1"]
    assert [record.state for record in await reopened.event_status("evt-1")] == [DEAD]


# --- backend specifics ---


async def test_sqlite_creates_its_directory_and_a_file_only_its_owner_can_read(tmp_path: Path) -> None:
    path = tmp_path / "new" / "state" / "signalmesh.db"
    store = SqliteStore(path)
    try:
        await enqueue(store, entry("evt-1"))  # a write, so the WAL file exists too
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(f"{path}-wal").stat().st_mode) == 0o600
        with sqlite3.connect(path) as reader:
            assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        await store.close()


@pytest.mark.redis
async def test_open_store_opens_the_configured_backend(tmp_path: Path, redis_url: str) -> None:
    sqlite_store = open_store(
        Config(state_dir=tmp_path, store=StoreConfig(backend="sqlite", path="state.db"))
    )
    redis_store = open_store(Config(store=StoreConfig(backend="redis", redis_url=redis_url)))
    try:
        assert isinstance(sqlite_store, SqliteStore)
        assert sqlite_store.path == tmp_path / "state.db"
        assert isinstance(redis_store, RedisStore)
        assert await redis_store.event_status("never-seen") == []
    finally:
        await sqlite_store.close()
        await redis_store.close()


@pytest.mark.redis
async def test_the_test_redis_is_self_started_when_the_environment_asks_and_stopped_afterwards(
    redis_for: Callable[[Mapping[str, str]], AbstractContextManager[str]],
) -> None:
    with redis_for({"SIGNALMESH_TEST_OWN_REDIS": "1"}) as url:
        assert not url.startswith("redis://127.0.0.1:6379/")
        store = RedisStore(url, namespace="own")
        assert await store.claim_dedup_keys(["k", "k"], WINDOW, T0) == [True, False]
        await store.close()

    stopped = redis.Redis.from_url(url, socket_connect_timeout=1)
    with pytest.raises(redis.ConnectionError):
        stopped.ping()
    stopped.close()


async def test_one_id_under_two_event_names_keeps_two_statuses_completed_apart(store: Store) -> None:
    purchase = entry("evt-1")
    payment = replace(entry("evt-1"), event_name="AddPaymentInfo")
    await store.accept(
        [purchase, payment], [status("evt-1"), status("evt-1", event_name="AddPaymentInfo")], T0
    )
    claimed = await store.claim_outbox("meta", 10, LEASE, T0)
    by_name = {item.event_name: item for item in claimed}
    assert set(by_name) == {"Purchase", "AddPaymentInfo"}
    await store.complete(
        [result(by_name["Purchase"], DELIVERED, "ok"), result(by_name["AddPaymentInfo"], REJECTED, "no")],
        T0 + 1,
    )
    records = {record.event_name: record for record in await store.event_status("evt-1")}
    assert {name: (record.state, record.platform_response) for name, record in records.items()} == {
        "AddPaymentInfo": (REJECTED, "no"),
        "Purchase": (DELIVERED, "ok"),
    }
    [kept] = await store.dead_letters()
    assert (kept.event_name, kept.state) == ("AddPaymentInfo", REJECTED)
    assert await store.replay_dead_letters([kept.entry_id], T0 + 2) == 1
    records = {record.event_name: record.state for record in await store.event_status("evt-1")}
    assert records == {"AddPaymentInfo": PENDING, "Purchase": DELIVERED}
