"""Orphaned dedup claims: a DUPLICATE whose first copy never reached the outbox is enqueued.

Which side owns this, in DESIGN.md §1 terms: the gateway. *Decide* (step 3) is policy's, and
its DUPLICATE means only "this dedup key is already claimed"; policy owns the dedup ledger and
never reads the outbox. *Enqueue, then acknowledge* (step 4) is the gateway's: an event is
acknowledged only once it is durable, and whether the copy that claimed the key became durable
is a fact about the outbox and the event status (step 6), which only the gateway writes. So
before the gateway acknowledges a DUPLICATE it checks that the first copy has a status; the
store answers, policy is not asked again, and the ledger is left as it is (the key stays
claimed, now by the copy enqueued here).

Why a first copy can be missing: policy claims the key before the gateway writes the outbox.
When the gateway is killed in between, or policy dies (or the call times out) after its claim,
the client hears no acknowledgement and sends again, and policy calls the retry a duplicate of
a copy that exists nowhere: acknowledged, then lost. A first copy still on its way gets
``wait_seconds`` to write its status; past that its claim is orphaned. The rare cost, a first
copy slower than the wait, is a second delivery the platform drops by event id, never a loss.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from signalmesh.gateway.accept import EventKey, key_of
from signalmesh.store.base import Store
from signalmesh.v1 import event_pb2, policy_pb2

ORPHAN_DETAIL = (
    "enqueued again: an earlier copy claimed the dedup key but never reached the outbox "
    "(its gateway or policy failed between the decision and the outbox write)"
)
# Events (EventKey) this process enqueued lately: a duplicate of one of them needs no
# store read to know its first copy is durable (a duplicate storm stays cheap).
RECENTLY_ENQUEUED = 100_000
_POLL_SECONDS = 0.05


def sent_keys(
    prepared_events: Sequence[event_pb2.PreparedEvent], decisions: Sequence[policy_pb2.DecisionOutput]
) -> set[EventKey]:
    send = policy_pb2.DECISION_SEND
    # ``key_of`` spelt out: this runs once per decision of every batch.
    return {
        (prepared.event_id, prepared.destination, prepared.event_name)
        for prepared, decision in zip(prepared_events, decisions, strict=True)
        if decision.decision == send
    }


def duplicates_to_check(
    prepared_events: Sequence[event_pb2.PreparedEvent], decisions: Sequence[policy_pb2.DecisionOutput]
) -> set[EventKey]:
    """The DUPLICATE keys whose first copy is not in this batch (a copy repeated within it is fine)."""
    duplicates = {
        key_of(prepared)
        for prepared, decision in zip(prepared_events, decisions, strict=True)
        if decision.reason == policy_pb2.REASON_DUPLICATE
    }
    # Most batches hold no duplicate: then there is nothing to subtract from.
    return duplicates - sent_keys(prepared_events, decisions) if duplicates else duplicates


def resend(
    prepared_events: Sequence[event_pb2.PreparedEvent],
    decisions: Sequence[policy_pb2.DecisionOutput],
    orphaned: set[EventKey],
) -> list[policy_pb2.DecisionOutput]:
    """``decisions`` with the first DUPLICATE of each orphaned key turned into a SEND."""
    remaining = set(orphaned)
    resent = []
    for prepared, decision in zip(prepared_events, decisions, strict=True):
        if key_of(prepared) in remaining and decision.reason == policy_pb2.REASON_DUPLICATE:
            remaining.discard(key_of(prepared))  # once per event
            decision = policy_pb2.DecisionOutput(
                event_id=decision.event_id,
                destination=decision.destination,
                decision=policy_pb2.DECISION_SEND,
                reason=policy_pb2.REASON_ELIGIBLE,
                detail=ORPHAN_DETAIL,
                strategy=decision.strategy,
            )
        resent.append(decision)
    return resent


class OrphanedClaims:
    """What this gateway process knows about first copies: being written now, or enqueued lately."""

    def __init__(self, store: Store, wait_seconds: float) -> None:
        self._store = store
        self._wait_seconds = wait_seconds
        self._recently_enqueued: OrderedDict[EventKey, None] = OrderedDict()
        self._writing: dict[EventKey, asyncio.Future[None]] = {}

    @contextmanager
    def writing(self, keys: Iterable[EventKey]) -> Iterator[None]:
        """Mark ``keys`` as claimed by this batch: a concurrent duplicate waits for this write,
        not for the store. The batch's keys share one future: they are written together."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        mine = [key for key in keys if key not in self._writing]
        self._writing.update(dict.fromkeys(mine, written))
        try:
            yield
        finally:
            for key in mine:
                self._writing.pop(key, None)
            written.set_result(None)

    def enqueued(self, keys: Iterable[EventKey]) -> None:
        for key in keys:
            self._recently_enqueued[key] = None
            self._recently_enqueued.move_to_end(key)
        while len(self._recently_enqueued) > RECENTLY_ENQUEUED:
            self._recently_enqueued.popitem(last=False)

    async def recover(
        self,
        prepared_events: Sequence[event_pb2.PreparedEvent],
        decisions: Sequence[policy_pb2.DecisionOutput],
    ) -> list[policy_pb2.DecisionOutput]:
        """``decisions``, with DUPLICATE turned into SEND where the first copy never reached the outbox."""
        orphaned = await self._without_status(duplicates_to_check(prepared_events, decisions))
        if not orphaned:
            return list(decisions)
        return resend(prepared_events, decisions, orphaned)

    async def _without_status(self, keys: set[EventKey]) -> set[EventKey]:
        """The keys that still have no status after the wait."""
        deadline = time.monotonic() + self._wait_seconds
        in_flight = [self._writing[key] for key in keys if key in self._writing]
        if in_flight:  # first copies this process is writing right now
            await asyncio.wait(in_flight, timeout=self._wait_seconds)
        pending = {key for key in keys if key not in self._recently_enqueued}
        while pending:
            # One read for the whole batch, however many ids it asks about.
            records = await self._store.event_statuses(sorted({event_id for event_id, _, _ in pending}))
            pending -= {(record.event_id, record.destination, record.event_name) for record in records}
            if not pending or time.monotonic() >= deadline:
                break
            await asyncio.sleep(_POLL_SECONDS)
        return pending
