"""The outbox depth from one background sample, against a real SQLite store: the intake's
backpressure check and the gauge read the sample, never the store per call, and a burst this
process enqueues is counted at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from signalmesh.gateway.outbox_depth import OutboxDepthSampler
from signalmesh.gateway.outbox_limit import OutboxFull, OutboxLimit
from signalmesh.store import NewEntry, SqliteStore


class CountingStore(SqliteStore):
    """A real SQLite store that counts how often the outbox is counted."""

    depth_reads = 0

    async def outbox_depths(self) -> dict[str, int]:
        self.depth_reads += 1
        return await super().outbox_depths()

    async def outbox_depth(self, destination: str | None = None) -> int:
        self.depth_reads += 1
        return await super().outbox_depth(destination)


class StoppedClock:
    """The sampler's clock, moved by the test (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def enqueue(store: SqliteStore, count: int, destination: str = "meta") -> None:
    entries = [NewEntry(destination, f"evt-{n}", "Purchase", b"x", "") for n in range(count)]
    await store.accept(entries, [], 0.0)


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = CountingStore(tmp_path / "signalmesh.db")
    yield opened
    await opened.close()


async def test_the_intake_check_reads_the_sample_not_the_store(store: CountingStore) -> None:
    clock = StoppedClock()
    sampler = OutboxDepthSampler(store, ["meta"], clock=clock)
    limit = OutboxLimit(sampler, max_depth=1000)
    await sampler.sample()

    await asyncio.gather(*(limit.refuse_when_full() for _ in range(200)))

    assert store.depth_reads == 1


async def test_concurrent_checks_without_a_fresh_sample_share_one_read(store: CountingStore) -> None:
    clock = StoppedClock()
    limit = OutboxLimit(OutboxDepthSampler(store, ["meta"], clock=clock), max_depth=1000)

    await asyncio.gather(*(limit.refuse_when_full() for _ in range(50)))
    assert store.depth_reads == 1

    clock.now += 60  # the sample went stale (no background task here): read once more
    await asyncio.gather(*(limit.refuse_when_full() for _ in range(50)))
    assert store.depth_reads == 2


async def test_a_full_outbox_is_refused_from_the_sample(store: CountingStore) -> None:
    await enqueue(store, 5)
    limit = OutboxLimit(OutboxDepthSampler(store, ["meta"], clock=StoppedClock()), max_depth=5)

    with pytest.raises(OutboxFull) as refused:
        await limit.refuse_when_full()
    assert (refused.value.depth, refused.value.limit) == (5, 5)


async def test_entries_enqueued_since_the_sample_count_at_once(store: CountingStore) -> None:
    sampler = OutboxDepthSampler(store, ["meta"], clock=StoppedClock())
    limit = OutboxLimit(sampler, max_depth=10)
    await enqueue(store, 4)
    await limit.refuse_when_full()

    await enqueue(store, 6)
    limit.added(6)  # what the intake reports after its write

    with pytest.raises(OutboxFull):
        await limit.refuse_when_full()
    assert store.depth_reads == 1
    # The next sample has them itself: not counted twice.
    await sampler.sample()
    assert await sampler.total() == 10


class StoreWrittenDuringItsRead(SqliteStore):
    """A real SQLite store where this process's intake writes a burst while the depth is being
    read, landing before the count (``in_the_read``) or after it: the two races a busy gateway
    has with its background sample."""

    def __init__(self, path: Path, *, in_the_read: bool) -> None:
        super().__init__(path)
        self.in_the_read = in_the_read
        self.burst: tuple[OutboxLimit, int] | None = None
        self.depth_reads = 0

    async def outbox_depths(self) -> dict[str, int]:
        self.depth_reads += 1
        burst, self.burst = self.burst, None
        if burst is not None and self.in_the_read:
            await self._write(*burst)
        depths = await super().outbox_depths()
        if burst is not None and not self.in_the_read:
            await self._write(*burst)
        return depths

    async def _write(self, limit: OutboxLimit, count: int) -> None:
        await enqueue(self, count)
        limit.added(count)  # what the intake reports after its write


async def test_a_burst_written_during_the_read_and_counted_in_it_is_not_counted_twice(
    tmp_path: Path,
) -> None:
    store = StoreWrittenDuringItsRead(tmp_path / "signalmesh.db", in_the_read=True)
    try:
        sampler = OutboxDepthSampler(store, ["meta"], clock=StoppedClock())
        limit = OutboxLimit(sampler, max_depth=50)
        store.burst = (limit, 40)
        await sampler.sample()
        assert await sampler.bounds() == (40, 80)  # the read saw 40; 40 were added meanwhile

        await limit.refuse_when_full()  # 40 of 50: accepted, after one more read

        assert store.depth_reads == 2
        assert await sampler.bounds() == (40, 40)
    finally:
        await store.close()


async def test_a_burst_written_during_the_read_but_after_the_count_is_not_missed(tmp_path: Path) -> None:
    store = StoreWrittenDuringItsRead(tmp_path / "signalmesh.db", in_the_read=False)
    try:
        sampler = OutboxDepthSampler(store, ["meta"], clock=StoppedClock())
        limit = OutboxLimit(sampler, max_depth=40)
        store.burst = (limit, 40)
        await sampler.sample()
        assert await sampler.bounds() == (0, 40)  # the read saw none of the 40

        with pytest.raises(OutboxFull) as refused:
            await limit.refuse_when_full()

        assert (refused.value.depth, store.depth_reads) == (40, 2)
    finally:
        await store.close()


async def test_the_background_task_keeps_the_sample_and_gauge_fresh(store: CountingStore) -> None:
    sampler = OutboxDepthSampler(store, ["meta", "google"], interval_seconds=0.01)
    await enqueue(store, 3)
    sampler.start()
    try:
        async with asyncio.timeout(10):
            while sampler.samples < 2:
                await asyncio.sleep(0.01)
        await enqueue(store, 2, "google")
        async with asyncio.timeout(10):
            while sampler.depths() != {"meta": 3, "google": 2}:
                await asyncio.sleep(0.01)
    finally:
        await sampler.stop()
    assert sampler.depths() == {"meta": 3, "google": 2}
