"""The state interface: dedup ledger (policy), outbox and event status (gateway).

Two backends implement it — SQLite (embedded default, WAL) and Redis (scale-out) — and both
pass one shared test suite. Every method takes a whole batch, so the services do one round trip
(one transaction) per batch, never one per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from signalmesh.v1 import gateway_pb2


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An accepted (event, destination) pair to deliver: the prepared, hashed event only."""

    destination: str
    event_id: str
    event_name: str
    # Serialized signalmesh.v1.PreparedEvent.
    prepared: bytes
    # W3C traceparent of the span that accepted the event, so delivery joins its trace.
    traceparent: str


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An entry claimed by a dispatcher; its lease expires unless completed."""

    entry_id: str
    destination: str
    event_id: str
    event_name: str
    prepared: bytes
    traceparent: str
    # Attempts made before this claim.
    attempts: int
    enqueued_at: float


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """One event's decision and delivery state at one destination (what GetEventStatus shows)."""

    event_id: str
    destination: str
    event_name: str
    decision: int  # signalmesh.v1.Decision
    reason: int  # signalmesh.v1.Reason
    detail: str
    state: int  # signalmesh.v1.DeliveryState
    attempts: int = 0
    platform_response: str = ""
    trace_id: str = ""
    updated_at: float = 0.0
    # Set by ``Store.dead_letters`` only: the id to pass to ``Store.replay_dead_letters``.
    entry_id: str = ""
    # Set by ``Store.dead_letters`` only: the PreparedEvent as kept (hashed), from which the
    # connector rebuilds the last request exactly (build_requests is pure).
    prepared: bytes = b""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a dispatcher learned about one claimed entry."""

    entry_id: str
    event_id: str
    destination: str
    # DELIVERED, REJECTED or DEAD_LETTERED end the entry; RETRYING puts it back.
    state: int
    platform_response: str = ""
    # For RETRYING: not before this time (epoch seconds).
    next_attempt_at: float = 0.0


FINAL_STATES = frozenset(
    {
        gateway_pb2.DELIVERY_STATE_DELIVERED,
        gateway_pb2.DELIVERY_STATE_REJECTED,
        gateway_pb2.DELIVERY_STATE_DEAD_LETTERED,
    }
)


class Store(Protocol):
    """Durable state shared by the services. All times are epoch seconds passed in by callers."""

    # --- dedup ledger (policy) ---
    async def claim_dedup_keys(self, keys: Sequence[str], window_seconds: float, now: float) -> list[bool]:
        """Atomically claim each key for ``window_seconds``. True where this call claimed it,
        False where a live claim already existed (a duplicate). A key repeated within ``keys``
        is claimed once: later occurrences are False."""
        ...

    async def dedup_keys_claimed(self, keys: Sequence[str], window_seconds: float, now: float) -> list[bool]:
        """Read-only: True where a live claim exists (dry runs)."""
        ...

    # --- outbox and status (gateway) ---
    async def accept(self, entries: Sequence[NewEntry], statuses: Sequence[StatusRecord], now: float) -> None:
        """Durably enqueue ``entries`` and record ``statuses`` in one transaction."""
        ...

    async def claim_outbox(
        self, destination: str, limit: int, lease_seconds: float, now: float
    ) -> list[OutboxEntry]:
        """Lease up to ``limit`` due entries of ``destination``, oldest first. An entry whose
        lease expired (its dispatcher died) is due again."""
        ...

    async def complete(self, results: Sequence[DeliveryResult], now: float) -> None:
        """Record delivery results: final states leave the outbox, RETRYING returns to it."""
        ...

    async def event_status(self, event_id: str) -> list[StatusRecord]: ...

    async def outbox_depth(self, destination: str | None = None) -> int:
        """Entries not yet in a final state (pending, leased or waiting to retry)."""
        ...

    async def dead_letters(self, destination: str | None = None, limit: int = 100) -> list[StatusRecord]:
        """Entries given up (DEAD_LETTERED) or refused by the platform (REJECTED), oldest first;
        each record's ``entry_id`` names the entry to replay and ``state`` says which it was."""
        ...

    async def replay_dead_letters(self, entry_ids: Sequence[str] | None, now: float) -> int:
        """Move dead letters (all of them when ``entry_ids`` is None) back into the outbox, same
        event id, attempts reset to 0, due at ``now``. Returns how many were moved; unknown ids are
        ignored."""
        ...

    async def prune_statuses(self, updated_before: float, limit: int = 10_000) -> int:
        """Forget DELIVERED and SKIPPED statuses last changed before ``updated_before`` (at most
        ``limit`` per call), so the store does not grow without bound; pending, retrying,
        rejected and dead-lettered ones stay. Returns how many were removed. A backend whose
        statuses expire on their own (Redis: a TTL of the same retention) removes none here."""
        ...

    async def close(self) -> None: ...
