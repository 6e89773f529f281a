"""Background housekeeping of the store: the outbox depth per destination for the metrics gauge
(from the shared background sample, ``outbox_depth``), the pruning of old statuses so an
embedded SQLite file does not grow without bound, and the history's daily roll-ups and
retention (``[stats]``; idempotent, so any replica may run them).

OpenTelemetry collects gauges through synchronous callbacks, and reading the store is async I/O:
so the sampler's task reads the depth and the callback reports its last sample. A growing
depth is the first sign of a platform outage or a paused destination, before anything is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

import structlog

from signalmesh.gateway.outbox_depth import OutboxDepthSampler
from signalmesh.gateway.periodic import Periodic
from signalmesh.store.base import Store
from signalmesh.telemetry.metrics import get_metrics

log = structlog.get_logger(__name__)


class StoreHousekeeping:
    def __init__(
        self,
        store: Store,
        destinations: Iterable[str],
        *,
        status_retention_seconds: float,
        hourly_retention_seconds: float = 35 * 86400,
        daily_retention_seconds: float = 400 * 86400,
        roll_up_interval_seconds: float = 3600.0,
        depth_interval_seconds: float = 5.0,
        prune_interval_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        depth_sampler: OutboxDepthSampler | None = None,
    ) -> None:
        self._store = store
        self._destinations = tuple(destinations)
        self._retention = status_retention_seconds
        self._hourly_retention = hourly_retention_seconds
        self._daily_retention = daily_retention_seconds
        self._roll_up_interval = roll_up_interval_seconds
        self._depth_interval = depth_interval_seconds
        self._prune_interval = prune_interval_seconds
        self._clock = clock
        # Without a shared sampler (a test), housekeeping samples on its own depth interval.
        self._own_sampler = depth_sampler is None
        self._sampler = depth_sampler or OutboxDepthSampler(store, self._destinations)
        self._periodic = Periodic()
        self._unregister = get_metrics().observe_outbox_depth(self.depths)

    def depths(self) -> Mapping[str, int]:
        """The last reading, destination → undelivered entries (what the gauge reports)."""
        return self._sampler.depths()

    async def sample_depth(self) -> None:
        await self._sampler.sample()

    async def prune(self) -> int:
        """Forget delivered and skipped statuses older than the retention; how many went."""
        removed = await self._store.prune_statuses(self._clock() - self._retention)
        if removed:
            log.info("statuses_pruned", removed=removed, retention_seconds=self._retention)
        return removed

    async def roll_up(self) -> int:
        """Daily roll-ups of the days that ended, then forget history past its retention."""
        written = await self._store.roll_up_history(
            self._clock(), self._hourly_retention, self._daily_retention
        )
        if written:
            log.info("history_rolled_up", daily_buckets=written)
        return written

    def start(self) -> None:
        self._periodic.every(self._roll_up_interval, self.roll_up, "history-roll-up")
        if self._own_sampler:
            self._periodic.every(self._depth_interval, self.sample_depth, "outbox-depth")
        self._periodic.every(self._prune_interval, self.prune, "status-pruning")

    async def stop(self) -> None:
        self._unregister()
        await self._periodic.stop()
