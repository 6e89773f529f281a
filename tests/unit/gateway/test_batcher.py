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
