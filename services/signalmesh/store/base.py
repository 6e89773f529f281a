"""The state interface: dedup ledger (policy), outbox and event status (gateway).

Two backends implement it — SQLite (embedded default, WAL) and Redis (scale-out) — and both
pass one shared test suite. Every method takes a whole batch, so the services do one round trip
(one transaction) per batch, never one per event. The records made for every event are
``record``s (frozen to the type checker, cheap to build); the others are frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from signalmesh.monitoring.history import HistoryDelta, HistoryRow
from signalmesh.records import record
from signalmesh.store.api_key_records import ApiKeyRecord
from signalmesh.v1 import gateway_pb2


@record
class NewEntry:
    """An accepted (event, destination) pair to deliver: the prepared, hashed event only."""

    destination: str
    event_id: str
    event_name: str
    # Serialized signalmesh.v1.PreparedEvent.
    prepared: bytes
    # W3C traceparent of the span that accepted the event, so delivery joins its trace.
    traceparent: str


@record
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


@record
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
    # The connector's match-quality score (0–10) of the prepared event at accept time, so
    # `signalmesh status` can place it in the practice's bands; 0 = unknown (kept before the
    # score was recorded). Delivery never changes it.
    match_quality: float = 0.0
    # Set by ``Store.dead_letters`` only: the id to pass to ``Store.replay_dead_letters``.
    entry_id: str = ""
    # Set by ``Store.dead_letters`` only: the PreparedEvent as kept (hashed), from which the
    # connector rebuilds the last request exactly (build_requests is pure).
    prepared: bytes = b""


# The states a delivery result may carry: DELIVERED, REJECTED and DEAD_LETTERED end the entry,
# RETRYING puts it back.
COMPLETION_STATES = frozenset(
    {
        gateway_pb2.DELIVERY_STATE_RETRYING,
        gateway_pb2.DELIVERY_STATE_DEAD_LETTERED,
        gateway_pb2.DELIVERY_STATE_DELIVERED,
        gateway_pb2.DELIVERY_STATE_REJECTED,
    }
)


@record
class DeliveryPayload:
    """One attempt's exchange as kept for an operator (``signalmesh status --payload`` and
    ``signalmesh diff``): the body sent and the platform's own answer, hashed data only, secrets
    masked, each bounded (``gateway.kept_payloads``). Headers and the URL are never kept."""

    # The request body as sent; for a request carrying several events, this event's own element
    # in the request's envelope (``{"data": [<this event>], ...}``) when it can be told apart.
    request_body: str
    # The platform's answer body, whole (it may speak of positions of the whole request).
    response_body: str
    # The HTTP status; 0 when no answer came (timeout, connection failure).
    response_status: int = 0
    # How many events the request carried, and this event's position among them (from 0).
    request_events: int = 1
    request_index: int = 0


@dataclass(frozen=True, slots=True)
class PayloadRecord:
    """The last kept exchange of one event at one destination (``Store.delivery_payloads``)."""

    event_id: str
    destination: str
    event_name: str
    payload: DeliveryPayload
    recorded_at: float


@record
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
    # The exchange this result came from, kept beside the status (replacing the previous one)
    # and forgotten with it; None keeps whatever was kept before.
    payload: DeliveryPayload | None = None

    @staticmethod
    def check_states(results: Sequence[DeliveryResult]) -> None:
        """Refuse a completion with a result in any state but ``COMPLETION_STATES`` (a dispatcher
        bug) before a backend writes any of it."""
        for result in results:
            if result.state not in COMPLETION_STATES:
                raise ValueError(f"entry {result.entry_id}: {result.state} is not a state a delivery ends in")


@record
class DeliveryRecord:
    """One event the platform accepted: the server layer of reconciliation (DESIGN §11).
    Hashed data only; kept as long as hourly history."""

    event_id: str
    destination: str
    event_name: str
    event_time: float
    delivered_at: float
    # Exact decimal string as the event carried it ("" when none), and its ISO 4217 currency.
    value: str = ""
    currency: str = ""
    has_click_id: bool = False
    mode: str = "live"


@dataclass(frozen=True, slots=True)
class Observation:
    """One browser pixel / tag firing reported through ObserveEvents: counted, never forwarded."""

    event_id: str
    event_name: str
    event_time: float
    # The pixel or destination the firing belongs to ("" when the site did not say).
    destination: str = ""


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert's lifecycle (firing → resolved), kept so that it notifies once per transition
    and survives restarts. ``alert_key`` is stable per (rule, subject), e.g.
    ``"volume_drop:meta-main"``."""

    alert_key: str
    rule: str
    severity: str  # "warning" | "critical"
    state: str  # "firing" | "resolved"
    destination: str
    fired_at: float
    resolved_at: float = 0.0
    # JSON object with the figure, baseline, threshold, window, message and command.
    details: str = "{}"
    # The state whose notification was delivered last ("" before the first one).
    notified_state: str = ""


@dataclass(frozen=True, slots=True)
class StrategyChange:
    """One change of the conversion strategy, kept for ever (the audit trail of Settings >
    Conversion): who changed which scope from what to what, and when."""

    # "" is the global default; otherwise the destination it overrides.
    destination: str
    # The strategy that applied before: the stored setting, or the signalmesh.toml one.
    previous: str
    strategy: str
    # The API client that made the change (its [[clients]] name).
    actor: str
    changed_at: float


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
    async def accept(
        self,
        entries: Sequence[NewEntry],
        statuses: Sequence[StatusRecord],
        now: float,
        history: HistoryDelta | None = None,
    ) -> None:
        """Durably enqueue ``entries`` and record ``statuses`` in one transaction."""
        ...

    async def claim_outbox(
        self, destination: str, limit: int, lease_seconds: float, now: float
    ) -> list[OutboxEntry]:
        """Lease up to ``limit`` due entries of ``destination``, oldest first. An entry whose
        lease expired (its dispatcher died) is due again."""
        ...

    async def complete(
        self,
        results: Sequence[DeliveryResult],
        now: float,
        history: HistoryDelta | None = None,
        deliveries: Sequence[DeliveryRecord] = (),
    ) -> None:
        """Record delivery results: final states leave the outbox, RETRYING returns to it. A
        result's ``payload`` is kept in the same transaction, for as long as the status."""
        ...

    async def event_status(self, event_id: str) -> list[StatusRecord]: ...

    async def event_statuses(self, event_ids: Sequence[str]) -> list[StatusRecord]:
        """The statuses of every id in ``event_ids`` in one read (one query, one round trip):
        what the gateway's orphaned-claim check asks per batch. Ordered by event id, destination
        and event name; unknown ids have none."""
        ...

    async def delivery_payloads(self, event_id: str) -> list[PayloadRecord]:
        """The last kept exchange of ``event_id`` at each destination (by destination and event
        name); none for a destination that was never attempted or whose status was forgotten."""
        ...

    async def outbox_depth(self, destination: str | None = None) -> int:
        """Entries not yet in a final state (pending, leased or waiting to retry)."""
        ...

    async def outbox_depths(self) -> dict[str, int]:
        """Entries not yet in a final state per destination, in one read; destinations with none
        may be absent. The background depth sample (``gateway.outbox_depth``) reads this."""
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
        ``limit`` per call), and their kept payloads, so the store does not grow without bound;
        pending, retrying, rejected and dead-lettered ones stay. Returns how many were removed. A
        backend whose statuses expire on their own (Redis: a TTL of the same retention) removes none here."""
        ...

    # --- history, observations, alerts (monitoring, DESIGN §11) ---
    # ``accept`` and ``complete`` also take ``history`` (and ``complete`` takes ``deliveries``),
    # written in the same transaction / pipeline as the rest of the batch.
    async def add_history(self, history: HistoryDelta, now: float) -> None:
        """Add counters outside a batch write (e.g. a batch whose events were all rejected)."""
        ...

    async def read_history(
        self,
        since: float,
        until: float,
        *,
        resolution: str = "hour",
        destination: str | None = None,
        event_name: str | None = None,
    ) -> list[HistoryRow]:
        """Buckets whose start lies in [since, until), oldest first; ``resolution`` is "hour" or
        "day" (the roll-ups)."""
        ...

    async def roll_up_history(self, now: float, hourly_retention: float, daily_retention: float) -> int:
        """Recompute the daily roll-ups of every UTC day that has hourly rows and has ended, then
        forget hourly rows older than ``hourly_retention`` and daily ones older than
        ``daily_retention`` (delivery records and observations follow the hourly retention, by
        event time). Hourly rows go a whole UTC day at a time (those of days before the one the
        cut falls in), so a roll-up is never recomputed from part of a day. Idempotent. Returns
        how many daily buckets were written."""
        ...

    async def delivered_events(
        self, since: float, until: float, destination: str | None = None
    ) -> list[DeliveryRecord]:
        """Delivery records whose event_time lies in [since, until)."""
        ...

    async def record_observations(self, observations: Sequence[Observation], now: float) -> None:
        """Keep browser observations (one per (event_id, event_name, destination); a repeat is
        kept once)."""
        ...

    async def observations(self, since: float, until: float) -> list[Observation]: ...

    async def alerts(self) -> list[AlertRecord]:
        """Every kept alert (firing ones and resolved ones not yet forgotten)."""
        ...

    async def save_alerts(self, records: Sequence[AlertRecord]) -> None:
        """Insert or replace records by ``alert_key``."""
        ...

    async def forget_alerts(self, alert_keys: Sequence[str]) -> None:
        """Delete these alerts (resolved longer ago than ``[alerts] resolved_keep_days``)."""
        ...

    async def acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: float) -> bool:
        """Take or renew the named lease: True when ``holder`` holds it until now + ttl."""
        ...

    async def first_seen(self, name: str, now: float) -> float:
        """When ``name`` (e.g. a credential's fingerprint) was first seen: stores ``now`` the first
        time and returns the stored time ever after."""
        ...

    async def put_document(self, kind: str, body: str, now: float) -> None:
        """Keep the latest JSON ``body`` of a kind (e.g. "reconciliation")."""
        ...

    async def get_document(self, kind: str) -> tuple[str, float] | None:
        """The latest body of ``kind`` and when it was put, or None."""
        ...

    # --- the conversion strategy (policy reads it, the gateway's admin RPC writes it) ---
    async def strategy_overrides(self) -> dict[str, str]:
        """The stored strategy per scope: "" (the global default) or a destination name →
        "strict" | "send_all". Scopes never set are absent (signalmesh.toml applies)."""
        ...

    async def set_strategy(
        self, destination: str, strategy: str, actor: str, now: float, configured: str
    ) -> StrategyChange:
        """Store ``strategy`` for ``destination`` ("" = the global default) and append the
        change to the audit trail, in one atomic step. ``configured`` is what applied while the
        store held nothing for that scope (the file's setting): it becomes the change's
        ``previous`` the first time."""
        ...

    async def strategy_changes(self, limit: int = 50) -> list[StrategyChange]:
        """The latest ``limit`` changes, newest first."""
        ...

    # --- API keys kept in the store (store.api_keys), read by the gateway's auth ---
    async def add_api_key(self, record: ApiKeyRecord) -> None: ...

    async def revoke_api_key(self, key_id: str, now: float) -> bool:
        """Mark the key revoked (from ``now``); False when no key has that id."""
        ...

    async def api_keys(self) -> list[ApiKeyRecord]: ...

    async def close(self) -> None: ...
