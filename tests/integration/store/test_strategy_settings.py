"""The shared strategy setting both backends keep: one value per scope ("" = the global
default, or a destination), and an append-only trail of who changed what. Real SQLite file,
real Redis; time is the ``now`` passed in."""

from __future__ import annotations

import asyncio
import itertools

from signalmesh.store import Store, StrategyChange

from tests.integration.store.test_store_contract import T0, StoreOpener


async def test_a_store_without_changes_holds_no_strategy(store: Store) -> None:
    assert await store.strategy_overrides() == {}
    assert await store.strategy_changes() == []


async def test_set_strategy_stores_the_scope_and_records_who_changed_it(store: Store) -> None:
    first = await store.set_strategy("", "send_all", "ops-admin", T0, configured="strict")
    second = await store.set_strategy("meta", "strict", "ops-admin", T0 + 1, configured="send_all")
    third = await store.set_strategy("", "strict", "marketing", T0 + 2, configured="strict")

    assert await store.strategy_overrides() == {"": "strict", "meta": "strict"}
    # The first change of a scope starts from the file's value; later ones from the stored one.
    assert first == StrategyChange("", "strict", "send_all", "ops-admin", T0)
    assert second == StrategyChange("meta", "send_all", "strict", "ops-admin", T0 + 1)
    assert third == StrategyChange("", "send_all", "strict", "marketing", T0 + 2)
    assert await store.strategy_changes() == [third, second, first]
    assert await store.strategy_changes(limit=1) == [third]


async def test_the_setting_and_its_trail_survive_reopening_the_store(backend: StoreOpener) -> None:
    writer = backend.open()
    change = await writer.set_strategy("tiktok", "send_all", "ops-admin", T0 + 0.25, configured="strict")
    await writer.close()

    reader = backend.open()
    assert await reader.strategy_overrides() == {"tiktok": "send_all"}
    assert await reader.strategy_changes() == [change]
    assert change.changed_at == T0 + 0.25  # the fraction of the epoch second is kept


async def test_concurrent_changes_of_one_scope_each_record_what_the_other_left(
    backend: StoreOpener,
) -> None:
    stores = [backend.open() for _ in range(4)]
    strategies = ["send_all", "strict"] * 10
    await asyncio.gather(
        *(
            stores[index % len(stores)].set_strategy(
                "meta", strategy, f"client-{index}", T0 + index, "strict"
            )
            for index, strategy in enumerate(strategies)
        )
    )

    changes = list(reversed(await stores[0].strategy_changes(limit=100)))
    assert len(changes) == len(strategies)
    # Applied one at a time: each change starts where the one before it ended.
    assert changes[0].previous == "strict"
    for before, after in itertools.pairwise(changes):
        assert after.previous == before.strategy
    assert (await stores[0].strategy_overrides())["meta"] == changes[-1].strategy
