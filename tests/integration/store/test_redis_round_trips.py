"""The Redis store's hot calls cost one round trip per batch, against a real redis-server of this
test's own (its command counters are private to the test): a batch of dedup claims is one
script call, and completing a batch sends no ``SCRIPT EXISTS`` before its MULTI. After the
server forgets its scripts (a restart, ``SCRIPT FLUSH``), both still work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from signalmesh.store import DeliveryResult, RedisStore

from tests.integration.store.test_store_contract import DELIVERED, LEASE, T0, WINDOW, enqueue, entry
from tests.support.redis_server import own_redis_server

pytestmark = pytest.mark.redis


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[str]:
    with own_redis_server(tmp_path) as url:
        yield url


@pytest.fixture
async def store(private_redis: str) -> AsyncIterator[RedisStore]:
    opened = RedisStore(private_redis, namespace="round-trips", consumer="test")
    yield opened
    await opened.close()


def command_calls(url: str) -> dict[str, int]:
    """Calls per command since the server started (INFO commandstats), INFO itself left out."""
    client = redis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return {
        name.removeprefix("cmdstat_"): int(figures["calls"])
        for name, figures in stats.items()
        if not name.startswith("cmdstat_info")
    }


# What a client sends around scripts and transactions; the commands a script runs inside Redis
# (SET, GET, XACK…) are counted too, but are not round trips.
ROUND_TRIP_COMMANDS = ("eval", "evalsha", "script", "multi", "exec")


def calls_during(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        name: count - before.get(name, 0)
        for name, count in after.items()
        if count != before.get(name, 0) and name.split("|")[0] in ROUND_TRIP_COMMANDS
    }


async def test_a_batch_of_dedup_claims_is_one_script_call(store: RedisStore, private_redis: str) -> None:
    await store.claim_dedup_keys(["warm-up"], WINDOW, T0)  # the first call loads the script
    keys = [f"meta:evt-{number}" for number in range(500)]
    await store.claim_dedup_keys(keys[:10], WINDOW, T0)
    before = command_calls(private_redis)

    claimed = await store.claim_dedup_keys([*keys, keys[0]], WINDOW, T0 + 1)

    assert claimed == [False] * 10 + [True] * 490 + [False]
    assert calls_during(before, command_calls(private_redis)) == {"evalsha": 1}


async def test_completing_a_batch_sends_no_script_check_before_its_transaction(
    store: RedisStore, private_redis: str
) -> None:
    await enqueue(store, *(entry(f"evt-{number}") for number in range(500)))
    claimed = await store.claim_outbox("meta", 500, LEASE, T0)
    before = command_calls(private_redis)

    await store.complete(
        [DeliveryResult(item.entry_id, item.event_id, item.destination, DELIVERED, "ok") for item in claimed],
        T0 + 1,
    )

    during = calls_during(before, command_calls(private_redis))
    assert during == {"multi": 1, "eval": 1, "exec": 1}
    assert await store.outbox_depth("meta") == 0


async def test_claims_and_completions_work_after_the_server_forgets_its_scripts(
    store: RedisStore, private_redis: str
) -> None:
    await enqueue(store, entry("evt-1"))
    assert await store.claim_dedup_keys(["meta:evt-1"], WINDOW, T0) == [True]
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)
    client = redis.Redis.from_url(private_redis)
    try:
        client.script_flush()
    finally:
        client.close()

    assert await store.claim_dedup_keys(["meta:evt-1", "meta:evt-2"], WINDOW, T0 + 1) == [False, True]
    await store.complete(
        [DeliveryResult(claimed.entry_id, claimed.event_id, "meta", DELIVERED, "ok")], T0 + 1
    )
    assert await store.outbox_depth("meta") == 0
    [record] = await store.event_status("evt-1")
    assert record.state == DELIVERED
