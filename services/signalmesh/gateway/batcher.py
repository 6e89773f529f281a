"""Micro-batching for unary and streamed calls: events arriving within a few milliseconds share
one policy call and one outbox transaction, so per-event cost stays that of a batch.

Only a bounded number of batches is in flight at once. While they all are, new events wait and
go out together the moment one completes: under load batches grow with the load (each paying
one policy call and one fsync for many events) instead of a tiny batch per linger period; a
lone call, with nothing in flight, still goes out after the linger."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from opentelemetry import context as otel_context

from signalmesh.gateway.accept_telemetry import micro_batch_context
from signalmesh.v1 import event_pb2

Result = TypeVar("Result")


@dataclass(slots=True)
class _Waiter(Generic[Result]):
    event: event_pb2.ConversionEvent
    context: otel_context.Context
    future: asyncio.Future[Result]


class MicroBatcher(Generic[Result]):
    """Collects events for up to ``linger_seconds`` (or ``max_size``) and submits them together,
    with at most ``max_in_flight`` submissions running; the next is flushed when one completes."""

    def __init__(
        self,
        submit: Callable[
            [Sequence[event_pb2.ConversionEvent], Sequence[otel_context.Context]], Awaitable[Sequence[Result]]
        ],
        *,
        linger_seconds: float,
        max_size: int,
        max_in_flight: int = 2,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._submit = submit
        self._linger = linger_seconds
        self._max_size = max_size
        self._pending: list[_Waiter[Result]] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._max_in_flight = max_in_flight
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(
        self, event: event_pb2.ConversionEvent, context: otel_context.Context | None = None
    ) -> Result:
        """``event``'s result once its batch is done; ``context`` is the event's trace (by
        default the caller's)."""
        loop = asyncio.get_running_loop()
        waiter: _Waiter[Result] = _Waiter(
            event, otel_context.get_current() if context is None else context, loop.create_future()
        )
        self._pending.append(waiter)
        if not self._slot_free():
            pass  # flushed when a batch in flight completes (_on_done)
        elif len(self._pending) >= self._max_size:
            self._flush()
        elif self._flush_handle is None:
            self._flush_handle = loop.call_later(self._linger, self._flush)
        return await waiter.future

    def _slot_free(self) -> bool:
        return len(self._tasks) < self._max_in_flight

    def _flush(self, *, ignore_bound: bool = False) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        while self._pending and (ignore_bound or self._slot_free()):
            batch = self._pending[: self._max_size]
            del self._pending[: self._max_size]
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._on_done)

    def _on_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        # What waited while every slot was busy goes now: it has already waited longer than a
        # linger, and waiting more would only add latency.
        if self._pending:
            self._flush()

    async def _run(self, batch: list[_Waiter[Result]]) -> None:
        try:
            contexts = [waiter.context for waiter in batch]
            # The batch's own spans (the policy call) go in its callers' trace when they share
            # one, else in a trace of their own linked to each caller's.
            with micro_batch_context(contexts):
                results = await self._submit([waiter.event for waiter in batch], contexts)
        except Exception as error:  # every waiter learns of the failure; nothing is half-accepted
            for waiter in batch:
                if not waiter.future.done():
                    waiter.future.set_exception(error)
            return
        for waiter, result in zip(batch, results, strict=True):
            if not waiter.future.done():
                waiter.future.set_result(result)

    async def drain(self) -> None:
        """Submit what is pending and wait for every batch in flight (graceful shutdown)."""
        self._flush(ignore_bound=True)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._flush(ignore_bound=True)
