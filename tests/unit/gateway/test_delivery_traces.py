"""Where a dispatch's spans go: the same parent and links as every entry's context would give,
with no context built for an entry whose trace records nothing."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from signalmesh.gateway.delivery_traces import dispatch_traces, unsampled_trace_id
from signalmesh.telemetry.tracing import batch_parent, context_from_traceparent


def traceparent(trace_number: int, span_number: int, *, sampled: bool) -> str:
    return f"00-{trace_number:032x}-{span_number:016x}-{'01' if sampled else '00'}"


A1, A2 = traceparent(0xA, 1, sampled=False), traceparent(0xA, 2, sampled=False)
B1 = traceparent(0xB, 1, sampled=False)
C1, C2 = traceparent(0xC, 1, sampled=True), traceparent(0xC, 2, sampled=True)
D1 = traceparent(0xD, 1, sampled=True)
ZERO_SPAN = traceparent(0xE, 0, sampled=False)
UPPER_CASE = traceparent(0xF, 1, sampled=False).upper()


def span_context_of(context: Context | None) -> trace.SpanContext:
    return trace.get_current_span(context).get_span_context()


@pytest.mark.parametrize(
    "traceparents",
    [
        [A1],
        [A1, A2, A1],  # one unary caller's trace: the dispatch continues it
        [A1, B1, A2],  # several traces, none sampled: nothing is linked
        [B1, A1, A2, B1],
        [A1, C1, B1, D1, C1],  # sampled ones are linked, each once, in order
        [C1, C2],  # one sampled trace
        [C1, A1],
        ["", A1, B1],  # no stored trace: a new one
        ["", ""],
        [A1, ""],
        [A1, A2, ""],
        ["garbage", A1],
        [ZERO_SPAN, A1],
        [A1, ZERO_SPAN],
        [UPPER_CASE, A1, A2],
        [A1, UPPER_CASE, C1],
    ],
)
def test_the_dispatch_goes_where_every_entrys_context_would_put_it(traceparents: list[str]) -> None:
    every = [context_from_traceparent(value) for value in traceparents]
    expected_parent, expected_links = batch_parent(every)
    traces = dispatch_traces(traceparents)
    assert span_context_of(traces.parent) == span_context_of(expected_parent)
    assert [link.context for link in traces.links] == [link.context for link in expected_links]
    assert len(traces.contexts) == len(traceparents)
    for context, full in zip(traces.contexts, every, strict=True):
        if context is None:  # skipped only where a delivery span would record nothing
            span_context = span_context_of(full)
            assert span_context.is_valid and not span_context.trace_flags.sampled
        else:
            assert span_context_of(context) == span_context_of(full)


def test_with_no_trace_sampled_only_the_first_entrys_context_is_built() -> None:
    traces = dispatch_traces([A1, A2, A1, A2])
    assert traces.contexts[0] is not None and traces.contexts[1:] == [None, None, None]


def test_sampled_entries_and_those_with_no_stored_trace_keep_their_contexts() -> None:
    traces = dispatch_traces([A1, C1, A2, "", D1])
    assert [context is not None for context in traces.contexts] == [True, True, False, True, True]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (A1, f"{0xA:032x}"),
        (C1, None),  # sampled
        (traceparent(0xA, 1, sampled=False)[:-2] + "02", f"{0xA:032x}"),  # another flag, not sampled
        (traceparent(0xA, 1, sampled=False)[:-2] + "03", None),
        (ZERO_SPAN, None),
        (traceparent(0, 1, sampled=False), None),
        (UPPER_CASE, None),  # not the form we write: the propagator decides
        ("", None),
        (A1 + "-extra", None),
    ],
)
def test_only_a_valid_unsampled_traceparent_in_our_form_is_skipped(value: str, expected: str | None) -> None:
    assert unsampled_trace_id(value) == expected
