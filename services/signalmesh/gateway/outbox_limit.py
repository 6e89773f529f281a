"""Backpressure: while the outbox holds more undelivered entries than configured, accept nothing.

The depth is read from the store at most every 250 ms and counted up by this process's own
writes in between, so a full outbox is noticed without a store read per batch.
"""

from __future__ import annotations

from signalmesh.store.base import Store

REREAD_SECONDS = 0.25


class OutboxFull(Exception):
    """The outbox holds more undelivered entries than configured: accept nothing until it drains."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"the outbox holds {depth} undelivered entries (limit {limit}); retry later")
        self.depth = depth
        self.limit = limit


class OutboxLimit:
    def __init__(self, store: Store, max_depth: int | None) -> None:
        self._store = store
        self._max_depth = max_depth
        self._depth = 0
        self._read_at = float("-inf")

    async def refuse_when_full(self, now: float) -> None:
        """Raise OutboxFull when the outbox is at its limit (never, without a limit)."""
        if self._max_depth is None:
            return
        if now - self._read_at > REREAD_SECONDS:
            self._depth = await self._store.outbox_depth()
            self._read_at = now
        if self._depth >= self._max_depth:
            raise OutboxFull(self._depth, self._max_depth)

    def added(self, entries: int) -> None:
        self._depth += entries
