"""Which traces are recorded: the standard ``OTEL_TRACES_SAMPLER`` settings, with links counted
as parents for the roots SignalMesh starts for batched work.

Each event of a batch has a trace of its own, and work done for several events at once (a
``SendEvents`` call, a micro-batch's policy call, a dispatch to a platform) is a span *linked*
to those events' traces rather than a child of one of them. For a root span that carries
links, the configured sampler would decide on a fresh trace id alone, leaving a kept event's
links pointing at dropped spans (and a dropped event's at kept ones). ``FollowLinks`` makes such
a root follow its links, as ``parentbased_*`` makes a child follow its parent: it is kept
exactly when one of the traces it links to is. Every other span is the configured sampler's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import sampling
from opentelemetry.trace import Link, SpanKind, get_current_span
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

_KEEP = sampling.SamplingResult(sampling.Decision.RECORD_AND_SAMPLE)
_DROP = sampling.SamplingResult(sampling.Decision.DROP)


class FollowLinks(sampling.Sampler):
    """A root span with links is sampled when one of its links is; anything else, by ``base``."""

    def __init__(self, base: sampling.Sampler) -> None:
        self.base = base

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> sampling.SamplingResult:
        if links and not get_current_span(parent_context).get_span_context().is_valid:
            return _KEEP if any(link.context.trace_flags.sampled for link in links) else _DROP
        return self.base.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"FollowLinks{{{self.base.get_description()}}}"


# The standard names (OpenTelemetry's environment-variable specification) and what each builds
# from OTEL_TRACES_SAMPLER_ARG (a ratio, for the two that take one).
_SAMPLERS: dict[str, Callable[[float], sampling.Sampler]] = {
    "always_on": lambda ratio: sampling.ALWAYS_ON,
    "always_off": lambda ratio: sampling.ALWAYS_OFF,
    "traceidratio": sampling.TraceIdRatioBased,
    "parentbased_always_on": lambda ratio: sampling.ParentBased(sampling.ALWAYS_ON),
    "parentbased_always_off": lambda ratio: sampling.ParentBased(sampling.ALWAYS_OFF),
    "parentbased_traceidratio": sampling.ParentBasedTraceIdRatio,
}


def configured_sampler(exporting: bool, environ: Mapping[str, str]) -> sampling.Sampler:
    """The sampler ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` name, wrapped in
    ``FollowLinks``: ``parentbased_always_on`` by default, as the specification says, or e.g.
    ``parentbased_traceidratio`` with ``OTEL_TRACES_SAMPLER_ARG=0.1`` to keep one trace in ten.

    With no exporter and no sampler asked for, nothing is recorded (``always_off``): a span no
    one exports is pure cost. Trace ids still exist, so statuses and log lines keep theirs.
    Unknown names and ratios outside 0–1 fail start-up (the SDK would only warn and keep every
    trace).
    """
    name = environ.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if not name:
        return FollowLinks(sampling.ParentBased(sampling.ALWAYS_ON) if exporting else sampling.ALWAYS_OFF)
    if name not in _SAMPLERS:
        raise ValueError(f"OTEL_TRACES_SAMPLER: unsupported sampler {name!r}; use one of {list(_SAMPLERS)}")
    raw_ratio = environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip() or "1.0"
    try:
        ratio = float(raw_ratio)
    except ValueError:
        ratio = -1.0
    if "ratio" in name and not 0.0 <= ratio <= 1.0:
        raise ValueError(
            f"OTEL_TRACES_SAMPLER_ARG: {raw_ratio!r} is not a ratio between 0 and 1 (e.g. 0.1 keeps 10 %)"
        )
    return FollowLinks(_SAMPLERS[name](ratio))
