"""The cached read of the store's strategy: one store read per refresh interval at most, the
file's settings under the store's. A real SQLite store; the clock is a variable."""

from __future__ import annotations

from pathlib import Path

from signalmesh.policy.shared_strategy import SharedStrategy
from signalmesh.policy.strategy import StrategySettings
from signalmesh.store import SqliteStore

CONFIGURED = StrategySettings(default="strict", overrides={"meta_b": "strict"})


class CountingStore(SqliteStore):
    reads = 0

    async def strategy_overrides(self) -> dict[str, str]:
        self.reads += 1
        return await super().strategy_overrides()


async def test_a_change_is_seen_once_the_cached_copy_is_older_than_the_interval(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "signalmesh.db")
    now = [100.0]
    shared = SharedStrategy(CONFIGURED, store, refresh_seconds=0.5, clock=lambda: now[0])
    try:
        assert (await shared.current()).for_destination("meta_a") == "strict"
        await store.set_strategy("meta_a", "send_all", "ops", 1.0, configured="strict")

        now[0] += 0.4  # still fresh: no read, the old value
        assert (await shared.current()).for_destination("meta_a") == "strict"
        assert store.reads == 1

        now[0] += 0.1
        settings = await shared.current()
        assert settings.for_destination("meta_a") == "send_all"
        assert settings.for_destination("meta_b") == "strict"
        assert store.reads == 2
    finally:
        await store.close()


async def test_many_batches_within_the_interval_cost_one_store_read(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "signalmesh.db")
    shared = SharedStrategy(CONFIGURED, store, refresh_seconds=0.5, clock=lambda: 100.0)
    try:
        for _ in range(50):
            await shared.current()
        assert store.reads == 1
    finally:
        await store.close()
