"""The outbox depth per destination, sampled in the background for the metrics gauge.

OpenTelemetry collects gauges through synchronous callbacks, and reading the store is async I/O:
so a task reads the depth every few seconds and the callback reports the last reading. A growing
depth is the first sign of a platform outage or a paused destination, before anything is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

import structlog

from signalmesh.store.base import Store
from signalmesh.telemetry.metrics import get_metrics

log = structlog.get_logger(__name__)


class OutboxDepthSampler:
    def __init__(self, store: Store, destinations: Iterable[str], interval_seconds: float = 5.0) -> None:
        self._store = store
        self._destinations = tuple(destinations)
        self._interval = interval_seconds
        self._depths: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._unregister = get_metrics().observe_outbox_depth(self.snapshot)

    def snapshot(self) -> Mapping[str, int]:
        """The last reading, destination → undelivered entries (what the gauge reports)."""
        return dict(self._depths)

    async def sample(self) -> None:
        for destination in self._destinations:
            self._depths[destination] = await self._store.outbox_depth(destination)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-depth-sampler")

    async def stop(self) -> None:
        self._unregister()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception:  # a store hiccup must not end the sampling; the next round retries
                log.warning("outbox depth not sampled", exc_info=True)
            await asyncio.sleep(self._interval)
