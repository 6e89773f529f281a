"""Spans and metrics of the accept path, recorded around its stages rather than inside them.

Each function observes one stage's result (or wraps its call): events received and rejected
after checking, match quality after preparing, a span around the policy call, one span per
(event, destination) decision parented to that event's own RPC context (so each event's trace
continues from there into the dispatcher), and a span around the outbox write. Attributes are
ids, destinations, decisions and reasons only: never personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace

from signalmesh.connector import MatchQuality
from signalmesh.gateway.accept import EventOutcome, TraceStamp
from signalmesh.store.base import NewEntry
from signalmesh.telemetry import tracing
from signalmesh.telemetry.metrics import get_metrics
from signalmesh.v1 import event_pb2, policy_pb2

_tracer = trace.get_tracer("signalmesh.gateway")


def _mode(test_mode: bool) -> str:
    return "test" if test_mode else "live"


def count_checked(outcomes: Sequence[EventOutcome]) -> None:
    """Events received, and each violation by its rule."""
    metrics = get_metrics()
    for outcome in outcomes:
        mode = {"mode": _mode(outcome.event.test_mode)}
        metrics.events_received.add(1, mode)
        for violation in outcome.report.violations:
            metrics.events_rejected.add(1, {**mode, "rule": violation.reason})


def record_match_quality(
    prepared_events: Sequence[event_pb2.PreparedEvent], qualities: Sequence[MatchQuality]
) -> None:
    metrics = get_metrics()
    for prepared, quality in zip(prepared_events, qualities, strict=True):
        metrics.match_quality.record(quality.score, {"destination": prepared.destination})


@contextmanager
def decide_span(event_ids: Sequence[str]) -> Iterator[None]:
    """Around the one policy call of a batch."""
    with _tracer.start_as_current_span(
        "policy.decide", attributes={tracing.EVENT_IDS: list(dict.fromkeys(event_ids))}
    ):
        yield


def count_decided(
    prepared_events: Sequence[event_pb2.PreparedEvent], decisions: Sequence[policy_pb2.DecisionOutput]
) -> None:
    metrics = get_metrics()
    for prepared, decision in zip(prepared_events, decisions, strict=True):
        metrics.events_decided.add(
            1,
            {
                "destination": prepared.destination,
                "decision": policy_pb2.Decision.Name(decision.decision).removeprefix("DECISION_"),
                "reason": policy_pb2.Reason.Name(decision.reason).removeprefix("REASON_").lower(),
                "mode": _mode(prepared.test_mode),
            },
        )


def decision_spans(
    prepared_events: Sequence[event_pb2.PreparedEvent],
    decisions: Sequence[policy_pb2.DecisionOutput],
    contexts: Sequence[otel_context.Context],
) -> list[TraceStamp]:
    """One span per decision, in its event's context; the stamps tie the outbox entry to it."""
    stamps = []
    for prepared, decision, context in zip(prepared_events, decisions, contexts, strict=True):
        span = _tracer.start_span(
            f"decision {prepared.destination}",
            context=context,
            attributes={
                tracing.EVENT_ID: prepared.event_id,
                tracing.DESTINATION: prepared.destination,
                tracing.DECISION: policy_pb2.Decision.Name(decision.decision),
                tracing.REASON: policy_pb2.Reason.Name(decision.reason),
            },
        )
        traceparent = tracing.current_traceparent(trace.set_span_in_context(span, context))
        stamps.append(TraceStamp(traceparent, format(span.get_span_context().trace_id, "032x")))
        span.end()
    return stamps


@contextmanager
def enqueue_span(entries: Sequence[NewEntry]) -> Iterator[None]:
    """Around the one outbox transaction of a batch."""
    with _tracer.start_as_current_span(
        "outbox.enqueue", attributes={tracing.EVENT_IDS: [entry.event_id for entry in entries]}
    ):
        yield
