"""The outbox depth, sampled in the background: one reading serves backpressure and the gauge.

Counting the outbox is a store read (a ``COUNT(*)`` queued behind writes on SQLite's thread, an
``XLEN`` per stream on Redis). Doing it per ``SendEvents`` call put a read on every batch's
path, so one task reads every destination's depth every ``interval`` (250 ms by default) and
everyone else reads the last sample: the intake's backpressure check (``outbox_limit``) and the
per-destination gauge (``store_housekeeping``).

Between samples the estimate is the sample plus the entries this process enqueued since, so this
process's own burst is counted at once. Entries enqueued *while* a read ran may or may not be in
it, so the estimate is a range: ``bounds()`` gives the lower end (they were in the read) and the
upper end (they were not). ``outbox_limit`` accepts below the upper end, refuses at the lower
end and re-reads in between, so a burst written during a read is neither counted twice (a false
refusal) nor missed. What the estimate can still miss is bounded: entries other processes (other
gateway workers or replicas) enqueued since the last sample, i.e. at most their intake over one
interval, plus the batches of this process already past the check when the limit was reached
(at most the calls in flight × ``max_batch_size``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping

from signalmesh.gateway.periodic import Periodic
from signalmesh.store.base import Store

SAMPLE_INTERVAL_SECONDS = 0.25


class OutboxDepthSampler:
    def __init__(
        self,
        store: Store,
        destinations: Iterable[str] = (),
        *,
        interval_seconds: float = SAMPLE_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._destinations = tuple(destinations)
        self._interval = interval_seconds
        self._clock = clock
        self._depths: dict[str, int] = {}
        self._sampled_at = float("-inf")
        # Entries this process enqueued, ever, and how many it had enqueued when the last read
        # began and when it ended: the ones in between may or may not be in that read.
        self._added = 0
        self._added_at_read_start = 0
        self._added_at_read_end = 0
        self._reading: asyncio.Future[None] | None = None
        self._periodic: Periodic | None = None
        self.samples = 0

    def start(self) -> None:
        """Sample now and then every interval until ``stop``."""
        if self._periodic is None:
            self._periodic = Periodic()
            self._periodic.every(self._interval, self.sample, "outbox-depth-sample")

    async def stop(self) -> None:
        if self._periodic is not None:
            await self._periodic.stop()
            self._periodic = None

    async def sample(self) -> None:
        """Read every destination's depth once; callers arriving meanwhile share that read."""
        if self._reading is not None:
            await asyncio.shield(self._reading)
            return
        self._reading = asyncio.get_running_loop().create_future()
        started_with = self._added
        try:
            depths = await self._store.outbox_depths()
            self._depths = {name: depths.get(name, 0) for name in self._destinations} | depths
            self._added_at_read_start, self._added_at_read_end = started_with, self._added
            self._sampled_at = self._clock()
            self.samples += 1
        finally:
            reading, self._reading = self._reading, None
            reading.set_result(None)

    async def bounds(self) -> tuple[int, int]:
        """The estimated number of undelivered entries as (at least, at most): they differ by
        the entries this process enqueued while the last read ran. Reads the store only when no
        sample is fresh (the background task is not running, e.g. in a test): once per interval
        then, however many calls ask."""
        if self._clock() - self._sampled_at > 2 * self._interval:
            await self.sample()
        sampled = sum(self._depths.values())
        return (
            sampled + self._added - self._added_at_read_end,
            sampled + self._added - self._added_at_read_start,
        )

    async def total(self) -> int:
        """The estimate's upper end (see ``bounds``)."""
        return (await self.bounds())[1]

    def added(self, entries: int) -> None:
        """``entries`` were just enqueued by this process."""
        self._added += entries

    def depths(self) -> Mapping[str, int]:
        """The last sample, destination → undelivered entries (what the gauge reports)."""
        return dict(self._depths)
