"""Background work stops on request: a call in flight finishes, and a loop whose work swallows a
cancellation still ends (the hang this replaces)."""

from __future__ import annotations

import asyncio
import contextlib

from signalmesh.gateway.periodic import Periodic


async def test_work_runs_at_once_and_stop_ends_a_long_interval_at_once() -> None:
    periodic, ran = Periodic(), asyncio.Event()

    async def work() -> None:
        ran.set()

    periodic.every(3600, work, "hourly")
    await asyncio.wait_for(ran.wait(), 5)
    await asyncio.wait_for(periodic.stop(), 5)  # not an hour


async def test_a_failing_round_is_retried_at_the_next() -> None:
    periodic, calls = Periodic(), []
    second = asyncio.Event()

    async def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("store hiccup")
        second.set()

    periodic.every(0.01, work, "flaky")
    await asyncio.wait_for(second.wait(), 5)
    await periodic.stop()
    assert len(calls) >= 2


async def test_work_that_swallows_cancellation_does_not_hang_stop() -> None:
    periodic, started, never = Periodic(), asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:
        started.set()
        # What a client library did: the cancellation is lost, the call just returns.
        with contextlib.suppress(asyncio.CancelledError):
            await never.wait()

    periodic.every(3600, stubborn, "stubborn")
    await asyncio.wait_for(started.wait(), 5)
    # Past the grace the work is cancelled; it swallows that, and the loop still ends at once.
    await asyncio.wait_for(periodic.stop(grace_seconds=0.2), 5)
