"""Micro-batching for unary and streamed calls: events arriving within a few milliseconds share
one policy call and one outbox transaction, so per-event cost stays that of a batch."""

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
    """Collects events for up to ``linger_seconds`` (or ``max_size``) and submits them together."""

    def __init__(
        self,
        submit: Callable[
            [Sequence[event_pb2.ConversionEvent], Sequence[otel_context.Context]], Awaitable[Sequence[Result]]
        ],
        *,
        linger_seconds: float,
        max_size: int,
    ) -> None:
        self._submit = submit
        self._linger = linger_seconds
        self._max_size = max_size
        self._pending: list[_Waiter[Result]] = []
        self._flush_handle: asyncio.TimerHandle | None = None
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
        if len(self._pending) >= self._max_size:
            self._flush()
        elif self._flush_handle is None:
            self._flush_handle = loop.call_later(self._linger, self._flush)
        return await waiter.future

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

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
        self._flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
