"""Backpressure: while the outbox holds more undelivered entries than configured, accept nothing.

The depth comes from the background sample (``outbox_depth.OutboxDepthSampler``), counted up by
this process's own writes since: no store read on a call's path. The bound on how far a burst
can overshoot the limit is in ``outbox_depth``'s docstring.
"""

from __future__ import annotations

from signalmesh.gateway.outbox_depth import OutboxDepthSampler


class OutboxFull(Exception):
    """The outbox holds more undelivered entries than configured: accept nothing until it drains."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"the outbox holds {depth} undelivered entries (limit {limit}); retry later")
        self.depth = depth
        self.limit = limit


class OutboxLimit:
    def __init__(self, sampler: OutboxDepthSampler, max_depth: int | None) -> None:
        self._sampler = sampler
        self._max_depth = max_depth

    async def refuse_when_full(self) -> None:
        """Raise OutboxFull when the outbox is at its limit (never, without a limit)."""
        if self._max_depth is None:
            return
        at_least, at_most = await self._sampler.bounds()
        if at_most < self._max_depth:
            return
        if at_least < self._max_depth:
            # Entries written during the last read make the sample ambiguous right at the limit:
            # read again rather than refuse on a burst counted twice (or accept one missed).
            await self._sampler.sample()
            at_least, _ = await self._sampler.bounds()
        if at_least >= self._max_depth:
            raise OutboxFull(at_least, self._max_depth)

    def added(self, entries: int) -> None:
        self._sampler.added(entries)
