"""Background work every N seconds that stops cleanly: the gateway's housekeeping and alert evaluator.

Stopping is a request, not a cancellation: a store call in flight finishes and the loop ends at
its next wait. (Cancelling mid-call is not safe to rely on: a client library that swallows the
CancelledError — seen with a Redis call — leaves the task asleep for its full interval, and
whoever awaits it hangs.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def every(self, interval: float, work: Callable[[], Awaitable[object]], name: str) -> None:
        """Run ``work`` now and then every ``interval`` seconds until ``stop``; a failure is logged
        and retried at the next round, never ends the loop."""
        self._tasks.append(asyncio.create_task(self._loop(interval, work, name), name=name))

    async def _loop(self, interval: float, work: Callable[[], Awaitable[object]], name: str) -> None:
        while not self._stopping.is_set():
            try:
                await work()
            except Exception:
                log.warning("background_work_failed", work=name, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=interval)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Ask every loop to end, wait for the work in flight (at most ``grace_seconds``), then
        cancel what is left."""
        self._stopping.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
