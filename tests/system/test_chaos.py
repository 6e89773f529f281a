"""The short form of `make chaos`: every fault scenario against real processes, audited event by
event — nothing acknowledged is lost, nothing is doubled, every dead letter says why."""

from __future__ import annotations

import pytest

from benchmarks.chaos import SCENARIOS, Sizes, run_scenario
from tests.integration.store.conftest import DEFAULT_REDIS_URL, OWN_REDIS_ENV, answers_ping, own_redis_server


@pytest.fixture
def redis_for_chaos(tmp_path):
    """The machine's Redis when it answers, else a redis-server started for the test."""
    import os

    if not os.environ.get(OWN_REDIS_ENV) and answers_ping(DEFAULT_REDIS_URL):
        yield DEFAULT_REDIS_URL
    else:
        with own_redis_server(tmp_path) as url:
            yield url


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_short_chaos_scenario_loses_nothing_and_doubles_nothing(name):
    """Short sizes (hundreds of events, two kills); `make chaos` runs the full ones."""
    result = await run_scenario(name, Sizes.short(), seed=7)

    assert result.expected > 0 and result.acknowledged > 0, "the scenario acknowledged nothing"
    assert result.lost == [], (
        f"acknowledged but neither delivered nor dead-lettered: {result.lost[:10]} {result.notes}"
    )
    assert result.doubled == 0, "event ids recorded twice after the sandbox's event-id dedup"
    assert result.unexplained_dead == 0, f"dead letters without a reason: {result.dead_reasons}"
    assert result.delivered + sum(result.dead_reasons.values()) >= result.expected
    assert result.failures == [], result.failures


@pytest.mark.parametrize("name", ["gateway-kill", "storm", "platform-kill"])
async def test_short_chaos_scenario_on_the_redis_store(name, redis_for_chaos):
    """The scale-out backend under the same faults: claims of a killed gateway are recovered
    from the Redis stream, duplicates stop at the shared ledger."""
    result = await run_scenario(name, Sizes.short(), seed=7, redis_url=redis_for_chaos)

    assert result.scenario.endswith("on Redis") and result.acknowledged > 0
    assert result.lost == [], f"acknowledged but not delivered: {result.lost[:10]} {result.notes}"
    assert result.doubled == 0 and result.unexplained_dead == 0
    assert result.failures == [], result.failures
