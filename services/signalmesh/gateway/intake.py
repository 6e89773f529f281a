"""The accept path for a batch: validate → prepare → Decide (one policy call) → outbox → answer.

An event is acknowledged only after its SEND entries are durable, and a batch never fails as a
whole for one bad event. Spans: one per (event, destination) decision, parented to the event's
own RPC context, so each event's trace continues from there into the dispatcher.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry import context as otel_context
from opentelemetry import trace

from signalmesh.connector import Destination
from signalmesh.gateway.policy_client import PolicyClient
from signalmesh.gateway.prepare import decision_input, prepare_event, route
from signalmesh.gateway.tracking_plan import TrackingRule
from signalmesh.gateway.validate import Report, validate_event
from signalmesh.plugins import ConnectorRegistry
from signalmesh.store.base import NewEntry, StatusRecord, Store
from signalmesh.telemetry import tracing
from signalmesh.telemetry.metrics import get_metrics
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

_tracer = trace.get_tracer("signalmesh.gateway")
# Below this estimate (Meta's EMQ scale) an accepted event carries a warning.
LOW_MATCH_QUALITY = 4.0
ORPHAN_DETAIL = (
    "enqueued again: an earlier copy claimed the dedup key but never reached the outbox "
    "(its gateway or policy failed between the decision and the outbox write)"
)
# Events (EventKey) this process enqueued lately: a duplicate of one of them needs no
# store read to know its first copy is durable (a duplicate storm stays cheap).
RECENTLY_ENQUEUED = 100_000


# (event id, destination, event name): one event at one destination, as the dedup ledger and the
# status table key it (one id may name a Purchase and its AddPaymentInfo).
EventKey = tuple[str, str, str]


def _key(prepared: event_pb2.PreparedEvent) -> EventKey:
    return (prepared.event_id, prepared.destination, prepared.event_name)


class OutboxFull(Exception):
    """The outbox holds more undelivered entries than configured: accept nothing until it drains."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"the outbox holds {depth} undelivered entries (limit {limit}); retry later")
        self.depth = depth
        self.limit = limit


@dataclass(slots=True)
class EventOutcome:
    """What the gateway did with one event of a batch."""

    event: event_pb2.ConversionEvent
    report: Report
    prepared: list[event_pb2.PreparedEvent] = field(default_factory=list)
    decisions: list[policy_pb2.DecisionOutput] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.report.ok


class Intake:
    def __init__(
        self,
        *,
        destinations: Mapping[str, Destination],
        registry: ConnectorRegistry,
        policy: PolicyClient,
        store: Store,
        on_enqueued: Callable[[set[str]], None] = lambda destinations: None,
        clock: Callable[[], float] = time.time,
        tracking_plan: Mapping[str, TrackingRule] | None = None,
        generate_missing_event_id: bool = False,
        max_outbox_depth: int | None = None,
        orphan_wait_seconds: float = 6.0,
    ) -> None:
        self._orphan_wait_seconds = orphan_wait_seconds
        self._recently_enqueued: OrderedDict[EventKey, None] = OrderedDict()
        self._enqueueing: dict[EventKey, asyncio.Future[None]] = {}
        self._max_outbox_depth = max_outbox_depth
        self._depth = 0
        self._depth_read_at = float("-inf")
        self._tracking_plan = dict(tracking_plan or {})
        self._generate_missing_event_id = generate_missing_event_id
        self._destinations = destinations
        self._registry = registry
        self._policy = policy
        self._store = store
        self._on_enqueued = on_enqueued
        self._clock = clock

    async def submit(
        self,
        events: Sequence[event_pb2.ConversionEvent],
        contexts: Sequence[otel_context.Context] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[EventOutcome]:
        """Validate, decide and (unless ``dry_run``) durably enqueue ``events``.

        ``contexts`` holds each event's own trace context (micro-batched unary calls come from
        different traces); by default every event belongs to the current one.
        """
        now = self._clock()
        if not dry_run:
            await self._refuse_when_full(now)
        metrics = get_metrics()
        event_contexts = (
            list(contexts) if contexts is not None else [otel_context.get_current()] * len(events)
        )
        outcomes = [self._validate(event, now) for event in events]
        for outcome in outcomes:
            mode = {"mode": "test" if outcome.event.test_mode else "live"}
            metrics.events_received.add(1, mode)
            for violation in outcome.report.violations:
                metrics.events_rejected.add(1, {**mode, "rule": violation.reason})
            if outcome.accepted:
                outcome.prepared = prepare_event(
                    outcome.event, route(outcome.event, self._destinations), self._registry
                )
                self._warn_low_match_quality(outcome)

        pairs = [(outcome, prepared) for outcome in outcomes for prepared in outcome.prepared]
        if not pairs:
            return outcomes
        with _tracer.start_as_current_span(
            "policy.decide", attributes={tracing.EVENT_IDS: _unique_ids(events)}
        ):
            decisions = await self._policy.decide(
                [decision_input(prepared) for _, prepared in pairs], dry_run=dry_run
            )
        if dry_run:
            for (outcome, _), decision in zip(pairs, decisions, strict=True):
                outcome.decisions.append(decision)
            return outcomes
        # Claimed for this batch: a concurrent duplicate waits for this write, not for the store.
        loop = asyncio.get_running_loop()
        mine = {
            _key(prepared): loop.create_future()
            for (_, prepared), decision in zip(pairs, decisions, strict=True)
            if decision.decision == policy_pb2.DECISION_SEND and _key(prepared) not in self._enqueueing
        }
        self._enqueueing.update(mine)
        try:
            decisions = await self._resend_orphaned_claims([prepared for _, prepared in pairs], decisions)
            await self._write(outcomes, pairs, decisions, event_contexts, now)
            for (_, prepared), decision in zip(pairs, decisions, strict=True):
                if decision.decision == policy_pb2.DECISION_SEND:
                    self._recently_enqueued[_key(prepared)] = None
                    self._recently_enqueued.move_to_end(_key(prepared))
            while len(self._recently_enqueued) > RECENTLY_ENQUEUED:
                self._recently_enqueued.popitem(last=False)
        finally:
            for pair, future in mine.items():
                self._enqueueing.pop(pair, None)
                future.set_result(None)
        return outcomes

    async def _write(
        self,
        outcomes: list[EventOutcome],
        pairs: list[tuple[EventOutcome, event_pb2.PreparedEvent]],
        decisions: Sequence[policy_pb2.DecisionOutput],
        event_contexts: list[otel_context.Context],
        now: float,
    ) -> None:
        """One transaction: an outbox entry per SEND and a status per decision (duplicates excepted)."""
        metrics = get_metrics()
        entries: list[NewEntry] = []
        statuses: list[StatusRecord] = []
        context_of = {id(outcome): event_contexts[index] for index, outcome in enumerate(outcomes)}
        for (outcome, prepared), decision in zip(pairs, decisions, strict=True):
            outcome.decisions.append(decision)
            metrics.events_decided.add(
                1,
                {
                    "destination": prepared.destination,
                    "decision": policy_pb2.Decision.Name(decision.decision).removeprefix("DECISION_"),
                    "reason": policy_pb2.Reason.Name(decision.reason).removeprefix("REASON_").lower(),
                    "mode": "test" if prepared.test_mode else "live",
                },
            )
            span = _tracer.start_span(
                f"decision {prepared.destination}",
                context=context_of[id(outcome)],
                attributes={
                    tracing.EVENT_ID: prepared.event_id,
                    tracing.DESTINATION: prepared.destination,
                    tracing.DECISION: policy_pb2.Decision.Name(decision.decision),
                    tracing.REASON: policy_pb2.Reason.Name(decision.reason),
                },
            )
            span_context = trace.set_span_in_context(span, context_of[id(outcome)])
            traceparent = tracing.current_traceparent(span_context)
            trace_id = format(span.get_span_context().trace_id, "032x")
            span.end()
            send = decision.decision == policy_pb2.DECISION_SEND
            if decision.reason == policy_pb2.REASON_DUPLICATE:
                # The first copy's status (and delivery outcome) stands; a duplicate changes nothing.
                continue
            if send:
                entries.append(
                    NewEntry(
                        destination=prepared.destination,
                        event_id=prepared.event_id,
                        event_name=prepared.event_name,
                        prepared=prepared.SerializeToString(),
                        traceparent=traceparent,
                    )
                )
            statuses.append(
                StatusRecord(
                    event_id=prepared.event_id,
                    destination=prepared.destination,
                    event_name=prepared.event_name,
                    decision=decision.decision,
                    reason=decision.reason,
                    detail=decision.detail,
                    state=gateway_pb2.DELIVERY_STATE_PENDING if send else gateway_pb2.DELIVERY_STATE_SKIPPED,
                    trace_id=trace_id,
                    updated_at=now,
                )
            )
        with _tracer.start_as_current_span(
            "outbox.enqueue", attributes={tracing.EVENT_IDS: [entry.event_id for entry in entries]}
        ):
            await self._store.accept(entries, statuses, now)
        self._depth += len(entries)
        if entries:
            self._on_enqueued({entry.destination for entry in entries})

    async def _resend_orphaned_claims(
        self,
        prepared_events: Sequence[event_pb2.PreparedEvent],
        decisions: Sequence[policy_pb2.DecisionOutput],
    ) -> list[policy_pb2.DecisionOutput]:
        """Turn DUPLICATE into SEND where the earlier copy never reached the outbox.

        Policy claims the dedup key before the gateway writes the outbox. When the gateway is
        killed in between, or policy dies (or the call times out) after its claim, the client
        hears no acknowledgement and sends again, and policy calls the retry a duplicate of a
        copy that exists nowhere: acknowledged, then lost. A first copy that did reach the
        outbox has a status; one still on its way gets ``orphan_wait_seconds`` to write it.
        Past that the claim is orphaned and this copy is enqueued. The rare cost, a first copy
        slower than the wait, is a second delivery the platform drops by event id, never a loss.
        """
        sent_here = {
            _key(prepared)
            for prepared, decision in zip(prepared_events, decisions, strict=True)
            if decision.decision == policy_pb2.DECISION_SEND
        }
        duplicates = {
            _key(prepared)
            for prepared, decision in zip(prepared_events, decisions, strict=True)
            if decision.reason == policy_pb2.REASON_DUPLICATE
        } - sent_here  # a copy repeated within this batch: its first copy is in this batch
        orphaned = await self._without_status(duplicates)
        if not orphaned:
            return list(decisions)
        resent = []
        for prepared, decision in zip(prepared_events, decisions, strict=True):
            if _key(prepared) in orphaned and decision.reason == policy_pb2.REASON_DUPLICATE:
                orphaned.discard(_key(prepared))  # once per event
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

    async def _without_status(self, pairs: set[EventKey]) -> set[EventKey]:
        """The (event id, destination, event name) keys that still have no status after the wait."""
        deadline = time.monotonic() + self._orphan_wait_seconds
        in_flight = [self._enqueueing[pair] for pair in pairs if pair in self._enqueueing]
        if in_flight:  # first copies this process is writing right now
            await asyncio.wait(in_flight, timeout=self._orphan_wait_seconds)
        pending = {pair for pair in pairs if pair not in self._recently_enqueued}
        while pending:
            event_ids = sorted({event_id for event_id, _, _ in pending})
            for records in await asyncio.gather(
                *(self._store.event_status(event_id) for event_id in event_ids)
            ):
                pending -= {(record.event_id, record.destination, record.event_name) for record in records}
            if not pending or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        return pending

    async def _refuse_when_full(self, now: float) -> None:
        """Backpressure: the depth is read at most every 250 ms and counted up in between."""
        if self._max_outbox_depth is None:
            return
        if now - self._depth_read_at > 0.25:
            self._depth = await self._store.outbox_depth()
            self._depth_read_at = now
        if self._depth >= self._max_outbox_depth:
            raise OutboxFull(self._depth, self._max_outbox_depth)

    def _warn_low_match_quality(self, outcome: EventOutcome) -> None:
        """Accepted, but reported: a platform will match few people with this little data."""
        metrics = get_metrics()
        for prepared in outcome.prepared:
            connector = self._registry.get(prepared.connector)
            quality = connector.match_quality(prepared)
            metrics.match_quality.record(quality.score, {"destination": prepared.destination})
            if quality.score < LOW_MATCH_QUALITY:
                advice = f"; add {', '.join(quality.missing[:3])}" if quality.missing else ""
                outcome.report.warn(
                    "user_data",
                    "match_quality.low",
                    f"{prepared.destination}: match quality {quality.score:.1f}/10 is low{advice}",
                )

    def _validate(self, event: event_pb2.ConversionEvent, now: float) -> EventOutcome:
        generated = not event.event_id and self._generate_missing_event_id
        if generated:
            with_id = event_pb2.ConversionEvent()
            with_id.CopyFrom(event)
            with_id.event_id = f"sm-{uuid.uuid4()}"
            event = with_id
        report = validate_event(event, now, self._destinations, self._tracking_plan)
        if generated:
            report.warn(
                "event_id",
                "event_id.generated",
                f"no event_id was sent, so {event.event_id} was generated: "
                "the browser pixel cannot share it, "
                "and platforms cannot deduplicate browser and server events",
            )
        return EventOutcome(event, report)


def _unique_ids(events: Sequence[event_pb2.ConversionEvent]) -> list[str]:
    return list(dict.fromkeys(event.event_id for event in events))
