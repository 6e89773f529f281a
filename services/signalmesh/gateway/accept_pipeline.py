"""The accept path for a batch, as a sequence of stages: check → prepare → decide (one policy
call) → recover orphaned claims → accept → enqueue (one store transaction) → answer.

An event is acknowledged only after its SEND entries are durable, and a batch never fails as a
whole for one bad event. This class does the I/O and the ordering only; the rules are pure
(``accept.py``, ``prepare.py``, ``orphaned_claims.py``), and spans and metrics are recorded
around each stage (``accept_telemetry.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence

from opentelemetry import context as otel_context

from signalmesh.config.model import QualityConfig
from signalmesh.connector import Destination
from signalmesh.gateway import accept_telemetry as observe
from signalmesh.gateway.accept import EventOutcome, accept, check_event, warn_low_match_quality
from signalmesh.gateway.free_text_pii import STRIP
from signalmesh.gateway.history_counts import count_checked, count_decided
from signalmesh.gateway.orphaned_claims import OrphanedClaims, sent_keys
from signalmesh.gateway.outbox_depth import OutboxDepthSampler
from signalmesh.gateway.outbox_limit import OutboxLimit
from signalmesh.gateway.policy_client import PolicyClient
from signalmesh.gateway.prepare import decide_request, prepare_event, route
from signalmesh.gateway.strategy_counts import count_strategies
from signalmesh.gateway.tracking_plan import TrackingRule
from signalmesh.gateway.validate import Report
from signalmesh.plugins import ConnectorRegistry
from signalmesh.store.base import Store
from signalmesh.v1 import event_pb2, policy_pb2

_log = logging.getLogger(__name__)


def unprocessable(event: event_pb2.ConversionEvent) -> EventOutcome:
    """A refusal for an event the gateway failed on: INVALID_ARGUMENT for it alone."""
    report = Report()
    report.error(
        "event",
        "event.unprocessable",
        "could not be processed; nothing was accepted for it: check its values against the "
        "README's field limits (the gateway logged the error's type)",
    )
    return EventOutcome(event, report)


def generated_event_id() -> str:
    return f"sm-{uuid.uuid4()}"


class AcceptPipeline:
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
        keep_history: bool = True,
        quality: QualityConfig | None = None,
        free_text_pii: str = STRIP,
        depth_sampler: OutboxDepthSampler | None = None,
    ) -> None:
        self._destinations = destinations
        self._registry = registry
        # Whose check_event rules apply to every event: the registry is fixed once built.
        self._connectors = tuple(registry.connectors())
        self._policy = policy
        self._store = store
        self._on_enqueued = on_enqueued
        self._clock = clock
        self._tracking_plan = dict(tracking_plan or {})
        self._new_event_id = generated_event_id if generate_missing_event_id else None
        # The gateway passes the sampler its background task keeps fresh; without one, the
        # check reads the depth itself at most once per sample interval.
        self._outbox_limit = OutboxLimit(depth_sampler or OutboxDepthSampler(store), max_outbox_depth)
        self._orphaned_claims = OrphanedClaims(store, orphan_wait_seconds)
        self._keep_history = keep_history
        self._quality = quality or QualityConfig()
        self._free_text_pii = free_text_pii

    async def submit(
        self,
        events: Sequence[event_pb2.ConversionEvent],
        contexts: Sequence[otel_context.Context] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[EventOutcome]:
        """Check, decide and (unless ``dry_run``) durably enqueue ``events``.

        ``contexts`` holds each event's own trace context (micro-batched unary calls come from
        different traces); by default every event belongs to the current one.
        """
        now = self._clock()
        if not dry_run:
            await self._outbox_limit.refuse_when_full()
        event_contexts = (
            list(contexts) if contexts is not None else [otel_context.get_current()] * len(events)
        )
        outcomes = [self._check_and_prepare(event, now) for event in events]
        observe.count_checked(outcomes)

        keep = self._keep_history and not dry_run
        history = count_checked(outcomes, self._destinations, now) if keep else None
        pairs = [(index, prepared) for index, outcome in enumerate(outcomes) for prepared in outcome.prepared]
        if not pairs:
            if history:
                await self._store.add_history(history, now)
            return outcomes
        prepared_events = [prepared for _, prepared in pairs]
        with observe.decide_span(events):
            decisions = await self._policy.decide_request(decide_request(prepared_events, dry_run))
        if dry_run:
            self._attach(outcomes, pairs, decisions)
            return outcomes
        with self._orphaned_claims.writing(sent_keys(prepared_events, decisions)):
            decisions = await self._orphaned_claims.recover(prepared_events, decisions)
            self._attach(outcomes, pairs, decisions)
            observe.count_decided(prepared_events, decisions)
            stamps = observe.decision_spans(
                prepared_events, decisions, [event_contexts[index] for index, _ in pairs]
            )
            # Aligned with pairs: both run over each outcome's prepared forms, in order.
            qualities = [quality for outcome in outcomes for quality in outcome.qualities]
            acceptance = accept(prepared_events, decisions, stamps, now, qualities)
            if history is not None:
                history.merge(count_decided(prepared_events, decisions, qualities, now))
                history.merge(
                    count_strategies(prepared_events, decisions, self._registry.get, self._destinations, now)
                )
            with observe.enqueue_span(acceptance.entries):
                await self._store.accept(acceptance.entries, acceptance.statuses, now, history=history)
            self._outbox_limit.added(len(acceptance.entries))
            if acceptance.entries:
                self._on_enqueued(acceptance.destinations)
            self._orphaned_claims.enqueued(acceptance.enqueued)
        return outcomes

    def _check_and_prepare(self, event: event_pb2.ConversionEvent, now: float) -> EventOutcome:
        """The event checked and, when valid, prepared; an unexpected error doing so costs only
        this event (``unprocessable``), never its batch, the micro-batch's other callers or a
        stream: the limits of ``field_limits`` should keep it from ever happening."""
        try:
            outcome = self._check(event, now)
            if outcome.accepted:
                self._prepare(outcome)
        except Exception as error:
            # The type and the event's position only: the message may quote personal data.
            _log.warning(
                "event could not be processed, refused as event.unprocessable: %s", type(error).__name__
            )
            return unprocessable(event)
        return outcome

    def _check(self, event: event_pb2.ConversionEvent, now: float) -> EventOutcome:
        return check_event(
            event,
            now,
            self._destinations,
            self._tracking_plan,
            self._new_event_id,
            self._connectors,
            self._quality.stale_after_seconds,
            self._free_text_pii,
        )

    def _prepare(self, outcome: EventOutcome) -> None:
        """The event's hashed form per destination, and a warning where its match quality is low."""
        outcome.prepared = prepare_event(
            outcome.event, route(outcome.event, self._destinations), self._registry
        )
        outcome.qualities = [
            self._registry.get(prepared.connector).match_quality(prepared) for prepared in outcome.prepared
        ]
        observe.record_match_quality(outcome.prepared, outcome.qualities)
        warn_low_match_quality(outcome, outcome.qualities, self._quality.warn_below)

    @staticmethod
    def _attach(
        outcomes: list[EventOutcome],
        pairs: list[tuple[int, event_pb2.PreparedEvent]],
        decisions: Sequence[policy_pb2.DecisionOutput],
    ) -> None:
        for (index, _), decision in zip(pairs, decisions, strict=True):
            outcomes[index].decisions.append(decision)
