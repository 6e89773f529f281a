"""The strategy every policy replica decides with: signalmesh.toml's settings under the ones
kept in the store, re-read at most every ``refresh_seconds``.

A change made through any replica's store (``signalmesh strategy set``) reaches every replica
within that interval plus one batch, and a restart keeps it because the store does. Reading
costs one store round trip per Decide batch at most, and only when the cached copy is stale —
never one per event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from signalmesh.policy.strategy import StrategySettings
from signalmesh.store.base import Store

REFRESH_SECONDS = 0.5


class SharedStrategy:
    def __init__(
        self,
        configured: StrategySettings,
        store: Store,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.configured = configured
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._settings = configured
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> StrategySettings:
        """The effective settings, from the cache while it is fresh."""
        if self._fresh():
            return self._settings
        async with self._lock:  # concurrent batches share one read
            if not self._fresh():
                await self.refresh()
        return self._settings

    async def refresh(self) -> StrategySettings:
        """Read the store now (after this replica changed it, say)."""
        stored = await self._store.strategy_overrides()
        self._settings = self.configured.under(stored)
        self._read_at = self._clock()
        return self._settings

    def _fresh(self) -> bool:
        return self._read_at is not None and self._clock() - self._read_at < self._refresh_seconds
