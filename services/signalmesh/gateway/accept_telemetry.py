"""Spans and metrics of the accept path, recorded around its stages rather than inside them.

Each event has a trace of its own. A unary ``SendEvent`` continues its caller's trace (the
RPC's span is the event's root). An event of a ``SendEvents`` call or of a stream starts a new
trace (``event_traces``: an "accept event" root linked to the call's span, which links back to
each root recorded, so the batch and its events find one another). Work done once for many
events runs where ``tracing.batch_parent`` puts it: the policy call and the outbox write of a
``SendEvents`` call under the call's span, those of a micro-batch of several callers in a trace
of their own linked to each (``micro_batch_context``). Each (event, destination) decision is a
span in its event's trace, and the traceparent stored with its outbox entry is that span's, so
the delivery continues the event's trace. An event whose trace is not sampled costs no span
work beyond its root's ids. Attributes are ids, destinations, decisions and reasons only: never
personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link

from signalmesh.connector import MatchQuality
from signalmesh.gateway.accept import EventOutcome, TraceStamp
from signalmesh.store.base import NewEntry
from signalmesh.telemetry import tracing
from signalmesh.telemetry.metrics import get_metrics, metrics_recorded
from signalmesh.v1 import event_pb2, policy_pb2

_tracer = trace.get_tracer("signalmesh.gateway")


def _mode(test_mode: bool) -> str:
    return "test" if test_mode else "live"


def count_checked(outcomes: Sequence[EventOutcome]) -> None:
    """Events received, and each violation by its rule."""
    if not metrics_recorded():
        return
    metrics = get_metrics()
    for outcome in outcomes:
        mode = {"mode": _mode(outcome.event.test_mode)}
        metrics.events_received.add(1, mode)
        for violation in outcome.report.violations:
            metrics.events_rejected.add(1, {**mode, "rule": violation.reason})


def record_match_quality(
    prepared_events: Sequence[event_pb2.PreparedEvent], qualities: Sequence[MatchQuality]
) -> None:
    if not metrics_recorded():
        return
    metrics = get_metrics()
    for prepared, quality in zip(prepared_events, qualities, strict=True):
        metrics.match_quality.record(quality.score, {"destination": prepared.destination})


class EventTrace(NamedTuple):
    """One event's own trace: its root span, and the context its decisions continue.

    A named tuple (one per event of every call, traced or not: a frozen dataclass costs an
    ``object.__setattr__`` per field to build)."""

    span: trace.Span
    context: otel_context.Context

    @classmethod
    def unsampled(cls) -> EventTrace:
        span = trace.NonRecordingSpan(tracing.new_unsampled_span_context())
        return cls(span, trace.set_span_in_context(span, _EMPTY))

    @property
    def trace_id(self) -> str:
        # The root is the span in ``context``: read from it directly.
        span_context = self.span.get_span_context()
        return format(span_context.trace_id, "032x") if span_context.is_valid else ""

    def end(self, outcome: EventOutcome | None = None) -> None:
        """End the root, naming the event (its id may have been generated meanwhile)."""
        if outcome is not None and self.span.is_recording():
            self.span.set_attributes(
                {
                    tracing.EVENT_ID: outcome.event.event_id,
                    tracing.DISPOSITION: "accepted" if outcome.accepted else "rejected",
                }
            )
        self.span.end()


_EMPTY = otel_context.Context()


def event_traces(count: int, *, link_back: bool = True) -> list[EventTrace]:
    """A new trace for each of ``count`` events of the current call (a batch or a stream).

    Each root links to the call's span (with ``FollowLinks``, it is sampled exactly when the call
    is); with ``link_back`` the call's span links to each recorded root too (not for a stream,
    whose events are unbounded). A root not sampled is only ids: no attributes, nothing
    exported.
    """
    call = trace.get_current_span()
    call_context = call.get_span_context()
    if call_context.is_valid and not call_context.trace_flags.sampled:
        # The call is not traced, so neither are its events: ids only, no sampler, no span.
        return [EventTrace.unsampled() for _ in range(count)]
    links = [Link(call_context)] if call_context.is_valid else []
    traces = []
    for _ in range(count):
        span = _tracer.start_span("accept event", context=_EMPTY, links=links)
        if link_back and span.is_recording():
            call.add_link(span.get_span_context())
        traces.append(EventTrace(span, trace.set_span_in_context(span, _EMPTY)))
    return traces


def end_event_traces(traces: Sequence[EventTrace], outcomes: Sequence[EventOutcome]) -> None:
    """End every root of a batch; ``outcomes`` is empty when the batch failed as a whole."""
    for index, event_trace in enumerate(traces):
        event_trace.end(outcomes[index] if index < len(outcomes) else None)


@contextmanager
def micro_batch_context(contexts: Sequence[otel_context.Context]) -> Iterator[None]:
    """Where a micro-batch's shared work (the policy call, the outbox write) is recorded: in its
    callers' trace when there is one, else an "accept batch" span linked to each caller's."""
    parent, links = tracing.batch_parent(contexts)
    if not links:
        token = otel_context.attach(parent)
        try:
            yield
        finally:
            otel_context.detach(token)
        return
    with _tracer.start_as_current_span("accept batch", context=parent, links=links) as span:
        if span.is_recording():
            span.set_attribute(tracing.EVENT_COUNT, len(contexts))
        yield


@contextmanager
def decide_span(events: Sequence[event_pb2.ConversionEvent]) -> Iterator[None]:
    """Around the one policy call of a batch (the events' ids are read only when it is recorded)."""
    with _tracer.start_as_current_span("policy.decide") as span:
        if span.is_recording():
            span.set_attribute(tracing.EVENT_IDS, list(dict.fromkeys(event.event_id for event in events)))
        yield


def count_decided(
    prepared_events: Sequence[event_pb2.PreparedEvent], decisions: Sequence[policy_pb2.DecisionOutput]
) -> None:
    if not metrics_recorded():
        return
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
    """One span per decision, in its event's context; the stamps tie the outbox entry to it.

    In an event's trace that is not being recorded, no span: the stamp is the event's root's,
    which carries the trace id (for the status) and the "not sampled" flag (for the delivery).
    """
    stamps = []
    for prepared, decision, context in zip(prepared_events, decisions, contexts, strict=True):
        parent = trace.get_current_span(context)
        if not parent.is_recording():
            stamps.append(_stamp(parent.get_span_context()))
            continue
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
        stamps.append(_stamp(span.get_span_context()))
        span.end()
    return stamps


def _stamp(span_context: trace.SpanContext) -> TraceStamp:
    if not span_context.is_valid:
        return _NO_STAMP
    # ``traceparent_of`` and ``format_trace_id`` would each write the trace id: once here.
    trace_id = format(span_context.trace_id, "032x")
    return TraceStamp(f"00-{trace_id}-{span_context.span_id:016x}-{span_context.trace_flags:02x}", trace_id)


_NO_STAMP = TraceStamp("", "")


@contextmanager
def enqueue_span(entries: Sequence[NewEntry]) -> Iterator[None]:
    """Around the one outbox transaction of a batch."""
    with _tracer.start_as_current_span("outbox.enqueue") as span:
        if span.is_recording():
            span.set_attribute(tracing.EVENT_IDS, [entry.event_id for entry in entries])
        yield
