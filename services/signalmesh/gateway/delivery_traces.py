"""Where a dispatch's spans go: each claimed entry's trace context, read from its stored
``traceparent``, and the dispatch span's parent and links (``tracing.batch_parent``). Pure.

Telemetry costs only where it is recorded: an entry whose event's trace is not sampled gets no
delivery span (``Dispatcher._record_span`` would end at once), so its context is never built;
its ``traceparent`` is only read far enough to know that. With no exporter every stored trace is
unsampled, and a 500-entry dispatch builds one context instead of 500. The parent and links are
those ``batch_parent`` gives for every entry's context: it is given the entries whose contexts
can change them (the first, every other one that is built, and one of another trace).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link

from signalmesh.telemetry import tracing

# What ``tracing.traceparent_of`` writes for a valid span context: version 00, lower-case hex,
# a trace id and a span id not all zeros (``context_from_traceparent`` sends anything else to
# the W3C propagator, which is left to decide).
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16


def unsampled_trace_id(traceparent: str) -> str | None:
    """The trace id (32 hex digits) of a ``traceparent`` in ``traceparent_of``'s form naming a
    valid span whose trace is not sampled; None for any other value."""
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None or int(match.group(3), 16) & trace.TraceFlags.SAMPLED:
        return None
    trace_id, span_id = match.group(1), match.group(2)
    if trace_id == _ZERO_TRACE_ID or span_id == _ZERO_SPAN_ID:
        return None
    return trace_id


@dataclass(frozen=True, slots=True)
class DispatchTraces:
    # Per entry, in order: its trace context, or None when nothing is recorded in its trace.
    contexts: list[Context | None]
    # The dispatch span's parent and links.
    parent: Context
    links: list[Link]


def dispatch_traces(traceparents: Sequence[str]) -> DispatchTraces:
    """The trace contexts a dispatch of entries with these stored ``traceparents`` needs."""
    contexts: list[Context | None] = []
    first_trace_id = ""
    another_trace = False
    for position, traceparent in enumerate(traceparents):
        trace_id = unsampled_trace_id(traceparent)
        if position == 0 or trace_id is None or (not another_trace and trace_id != first_trace_id):
            context = tracing.context_from_traceparent(traceparent)
            if position == 0:
                span_context = trace.get_current_span(context).get_span_context()
                first_trace_id = f"{span_context.trace_id:032x}"
            elif trace_id is not None:
                # An unsampled entry of another trace than the first: it alone says the entries
                # do not share one trace (``batch_parent`` then starts a trace of its own).
                another_trace = True
            contexts.append(context)
        else:
            contexts.append(None)
    parent, links = tracing.batch_parent([context for context in contexts if context is not None])
    return DispatchTraces(contexts, parent, links)

