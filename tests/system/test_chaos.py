"""The short form of `make chaos`: every fault scenario against real processes, audited event by
event — nothing acknowledged is lost, nothing is doubled, every dead letter says why."""

from __future__ import annotations

import pytest

from benchmarks.chaos import SCENARIOS, Sizes, run_scenario


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
async def test_short_chaos_scenario_on_the_redis_store(name, redis_url):
    """The scale-out backend under the same faults: claims of a killed gateway are recovered
    from the Redis stream, duplicates stop at the shared ledger."""
    result = await run_scenario(name, Sizes.short(), seed=7, redis_url=redis_url)

    assert result.scenario.endswith("on Redis") and result.acknowledged > 0
    assert result.lost == [], f"acknowledged but not delivered: {result.lost[:10]} {result.notes}"
    assert result.doubled == 0 and result.unexplained_dead == 0
    assert result.failures == [], result.failures
