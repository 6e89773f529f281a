"""Micro-batching: concurrent unary calls share one submission; failures reach every caller."""

from __future__ import annotations

import asyncio

import pytest
from signalmesh.gateway.batcher import MicroBatcher
from signalmesh.v1 import event_pb2


async def test_events_arriving_together_are_submitted_as_one_batch():
    batches: list[list[str]] = []

    async def submit(events, contexts):
        batches.append([event.event_id for event in events])
        return [event.event_id.upper() for event in events]

    batcher = MicroBatcher(submit, linger_seconds=0.01, max_size=100)
    results = await asyncio.gather(
        *(batcher.submit(event_pb2.ConversionEvent(event_id=f"e{i}")) for i in range(5))
    )
    assert results == ["E0", "E1", "E2", "E3", "E4"]
    assert batches == [["e0", "e1", "e2", "e3", "e4"]]


async def test_a_full_batch_is_submitted_without_waiting_for_the_linger():
    batches: list[int] = []

    async def submit(events, contexts):
        batches.append(len(events))
        return [None] * len(events)

    batcher = MicroBatcher(submit, linger_seconds=60, max_size=2)
    await asyncio.wait_for(
        asyncio.gather(*(batcher.submit(event_pb2.ConversionEvent(event_id=str(i))) for i in range(4))),
        timeout=5,
    )
    assert batches == [2, 2]


async def test_a_failed_submission_fails_every_caller_of_the_batch():
    async def submit(events, contexts):
        raise RuntimeError("policy down")

    batcher = MicroBatcher(submit, linger_seconds=0.001, max_size=10)
    results = await asyncio.gather(
        *(batcher.submit(event_pb2.ConversionEvent(event_id=str(i))) for i in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(result, RuntimeError) for result in results)


async def test_drain_submits_what_is_pending():
    submitted: list[int] = []

    async def submit(events, contexts):
        submitted.append(len(events))
        return [None] * len(events)

    batcher = MicroBatcher(submit, linger_seconds=60, max_size=10)
    waiter = asyncio.ensure_future(batcher.submit(event_pb2.ConversionEvent(event_id="x")))
    await asyncio.sleep(0)
    await batcher.drain()
    assert await waiter is None
    assert submitted == [1]


@pytest.mark.parametrize("size", [1, 7])
async def test_results_match_their_callers(size):
    async def submit(events, contexts):
        return [event.event_id for event in reversed(events)][::-1]

    batcher = MicroBatcher(submit, linger_seconds=0.001, max_size=size)
    ids = [str(i) for i in range(10)]
    assert await asyncio.gather(*(batcher.submit(event_pb2.ConversionEvent(event_id=i)) for i in ids)) == ids


async def test_batches_grow_while_every_slot_is_busy_with_a_slow_submission():
    """One slot, a submission that waits until released: the calls arriving meanwhile are
    not sent as a tiny batch per linger but together, when the slot frees."""
    sizes: list[int] = []
    release = asyncio.Event()

    async def submit(events, contexts):
        sizes.append(len(events))
        await release.wait()
        return [None] * len(events)

    batcher = MicroBatcher(submit, linger_seconds=0, max_size=100, max_in_flight=1)
    first = asyncio.ensure_future(batcher.submit(event_pb2.ConversionEvent(event_id="first")))
    await wait_for_state(lambda: sizes == [1])
    later = []
    for index in range(20):
        later.append(asyncio.ensure_future(batcher.submit(event_pb2.ConversionEvent(event_id=f"l{index}"))))
        # Several loop turns per call: a zero linger would have flushed each call on its own.
        for _ in range(5):
            await asyncio.sleep(0)
    assert sizes == [1], "a batch was flushed while the only slot was busy"
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *later), timeout=5)
    assert sizes == [1, 20]


async def test_the_bound_limits_submissions_running_at_once():
    running = 0
    most = 0

    async def submit(events, contexts):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.005)
        running -= 1
        return [None] * len(events)

    batcher = MicroBatcher(submit, linger_seconds=0, max_size=3, max_in_flight=2)
    await asyncio.wait_for(
        asyncio.gather(*(batcher.submit(event_pb2.ConversionEvent(event_id=str(i))) for i in range(30))),
        timeout=5,
    )
    assert most == 2


async def test_a_lone_call_is_flushed_after_the_linger_with_nothing_in_flight():
    async def submit(events, contexts):
        return ["done"] * len(events)

    batcher = MicroBatcher(submit, linger_seconds=0.001, max_size=100, max_in_flight=1)
    assert await asyncio.wait_for(batcher.submit(event_pb2.ConversionEvent(event_id="alone")), 5) == "done"


async def test_drain_waits_for_what_queued_behind_a_busy_slot():
    release = asyncio.Event()
    submitted: list[int] = []

    async def submit(events, contexts):
        submitted.append(len(events))
        await release.wait()
        return [None] * len(events)

    batcher = MicroBatcher(submit, linger_seconds=0.001, max_size=100, max_in_flight=1)
    waiters = [asyncio.ensure_future(batcher.submit(event_pb2.ConversionEvent(event_id="a")))]
    await wait_for_state(lambda: submitted == [1])
    waiters.append(asyncio.ensure_future(batcher.submit(event_pb2.ConversionEvent(event_id="b"))))
    await asyncio.sleep(0)
    drained = asyncio.ensure_future(batcher.drain())
    release.set()
    await asyncio.wait_for(drained, 5)
    assert all(waiter.done() for waiter in waiters)
    assert sum(submitted) == 2


async def wait_for_state(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "state never reached"
        await asyncio.sleep(0.001)
