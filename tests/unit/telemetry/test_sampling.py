"""Which traces are kept: the standard OTEL_TRACES_SAMPLER settings, nothing without an exporter,
links counted as parents for a batch's roots, and where work for several events is recorded."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider, sampling
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, TraceFlags
from signalmesh.telemetry.sampling import FollowLinks, configured_sampler
from signalmesh.telemetry.tracing import (
    batch_parent,
    context_from_traceparent,
    current_traceparent,
    new_unsampled_span_context,
    span_limits,
    traceparent_of,
)

SAMPLED, NOT_SAMPLED = TraceFlags(TraceFlags.SAMPLED), TraceFlags(TraceFlags.DEFAULT)


def remote(trace_id: int, span_id: int, flags: TraceFlags = SAMPLED) -> SpanContext:
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=flags)


def in_context(span_context: SpanContext) -> Context:
    return trace.set_span_in_context(NonRecordingSpan(span_context), Context())


def decision(sampler: sampling.Sampler, parent: Context | None = None, links=()) -> sampling.Decision:
    return sampler.should_sample(parent, 0xABC, "span", links=list(links)).decision


@pytest.mark.parametrize("base", [sampling.ALWAYS_OFF, sampling.ParentBasedTraceIdRatio(0.0)])
def test_a_root_linked_to_a_sampled_span_is_kept_whatever_the_ratio(base):
    sampler = FollowLinks(base)
    assert decision(sampler, links=[Link(remote(1, 1))]) is sampling.Decision.RECORD_AND_SAMPLE
    assert decision(sampler) is sampling.Decision.DROP


def test_a_root_linked_only_to_unsampled_spans_is_dropped_even_under_always_on():
    sampler = FollowLinks(sampling.ALWAYS_ON)
    assert decision(sampler, links=[Link(remote(1, 1, NOT_SAMPLED))]) is sampling.Decision.DROP
    assert decision(sampler) is sampling.Decision.RECORD_AND_SAMPLE


def test_a_child_follows_the_configured_sampler_not_its_links():
    sampler = FollowLinks(sampling.ParentBased(sampling.ALWAYS_ON))
    unsampled_parent = in_context(remote(7, 7, NOT_SAMPLED))
    assert decision(sampler, unsampled_parent, [Link(remote(1, 1))]) is sampling.Decision.DROP


@pytest.mark.parametrize(
    ("exporting", "environ", "expected"),
    [
        (True, {}, "ParentBased{root:AlwaysOnSampler"),
        (False, {}, "AlwaysOffSampler"),
        (False, {"OTEL_TRACES_SAMPLER": "always_on"}, "AlwaysOnSampler"),
        (
            True,
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
            "ParentBased{root:TraceIdRatioBased{0.1}",
        ),
        (
            True,
            {"OTEL_TRACES_SAMPLER": "TraceIdRatio", "OTEL_TRACES_SAMPLER_ARG": "0"},
            "TraceIdRatioBased{0.0}",
        ),
        (True, {"OTEL_TRACES_SAMPLER": "traceidratio"}, "TraceIdRatioBased{1.0}"),
        (True, {"OTEL_TRACES_SAMPLER": "parentbased_always_off"}, "ParentBased{root:AlwaysOffSampler"),
    ],
)
def test_the_sampler_follows_the_standard_variables(exporting, environ, expected):
    """Without an exporter nothing is recorded, unless a sampler is asked for by name."""
    sampler = configured_sampler(exporting, environ)
    assert isinstance(sampler, FollowLinks)
    assert sampler.base.get_description().startswith(expected)


@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_TRACES_SAMPLER": "jaeger_remote"},
        {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "10%"},
        {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
    ],
)
def test_a_bad_sampler_setting_fails_at_start_up(environ):
    """The SDK would warn and keep every trace: a typo must not multiply the cost."""
    with pytest.raises(ValueError, match="OTEL_TRACES_SAMPLER"):
        configured_sampler(True, environ)


def test_events_of_one_trace_keep_their_batch_work_in_it():
    contexts = [in_context(remote(5, span_id)) for span_id in (1, 2)]
    parent, links = batch_parent(contexts)
    assert parent is contexts[0] and links == []


def test_events_of_several_traces_get_a_new_trace_linked_to_each_sampled_one():
    contexts = [
        in_context(remote(5, 1)),
        in_context(remote(6, 2, NOT_SAMPLED)),
        in_context(remote(7, 3)),
        in_context(remote(7, 3)),
    ]
    parent, links = batch_parent(contexts)
    assert not trace.get_current_span(parent).get_span_context().is_valid
    assert [(link.context.trace_id, link.context.span_id) for link in links] == [(5, 1), (7, 3)]


def test_events_of_several_unsampled_traces_record_nothing():
    contexts = [in_context(remote(5, 1, NOT_SAMPLED)), in_context(remote(6, 2, NOT_SAMPLED))]
    parent, links = batch_parent(contexts)
    assert parent is contexts[0] and links == []


def test_a_batch_span_keeps_a_link_per_event_of_a_full_batch(monkeypatch):
    """The SDK keeps 128 links by default; a batch of 1,000 events needs them all."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=span_limits({}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    links = [Link(remote(index + 1, index + 1)) for index in range(1000)]
    provider.get_tracer("test").start_span("dispatch", links=links).end()
    [span] = exporter.get_finished_spans()
    assert len(span.links) == 1000
    monkeypatch.setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "5")
    assert span_limits({"OTEL_SPAN_LINK_COUNT_LIMIT": "5"}).max_links == 5, "the standard variable wins"


@pytest.mark.parametrize("sampled", [True, False])
def test_a_stored_traceparent_is_what_the_w3c_propagator_writes_and_reads_back(sampled):
    span_context = remote(
        0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, SAMPLED if sampled else NOT_SAMPLED
    )
    written = traceparent_of(span_context)
    assert written == current_traceparent(in_context(span_context))
    read = trace.get_current_span(context_from_traceparent(written)).get_span_context()
    assert (read.trace_id, read.span_id, read.trace_flags.sampled) == (
        span_context.trace_id,
        span_context.span_id,
        sampled,
    )
    assert traceparent_of(trace.INVALID_SPAN_CONTEXT) == ""


def test_an_unsampled_event_still_gets_a_trace_id_of_its_own():
    first, second = new_unsampled_span_context(), new_unsampled_span_context()
    assert first.is_valid and second.is_valid and first.trace_id != second.trace_id
    assert not first.trace_flags.sampled


def test_a_stored_traceparent_reads_back_as_the_w3c_propagator_reads_it() -> None:
    """The direct parse of our own traceparents gives the propagator's context, sampled or not;
    other forms (zero ids, upper case, extra fields, garbage) are the propagator's answer too."""
    from opentelemetry import trace
    from opentelemetry.context import Context
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    from signalmesh.telemetry.tracing import context_from_traceparent

    trace_id, span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    samples = [f"00-{trace_id}-{span_id}-01", f"00-{trace_id}-{span_id}-00", f"00-{'0' * 32}-{span_id}-01"]
    samples += [f"00-{trace_id}-{'0' * 16}-01", f"00-{trace_id.upper()}-{span_id}-01"]
    samples += [f"00-{trace_id}-{span_id}-01-x"]
    samples += [f"01-{trace_id}-{span_id}-01-future", "", "garbage"]
    for traceparent in samples:
        ours = trace.get_current_span(context_from_traceparent(traceparent)).get_span_context()
        extracted = TraceContextTextMapPropagator().extract({"traceparent": traceparent}, context=Context())
        assert ours == trace.get_current_span(extracted).get_span_context(), traceparent
