"""OpenTelemetry traces for every service: set up once at start-up, propagated over gRPC.

Each event's whole path is one trace (DESIGN §7), also for an event of a batch: client →
gateway → policy through W3C trace context in gRPC metadata (the interceptors below), gateway →
outbox → dispatcher through the ``traceparent`` stored with each outbox entry
(``traceparent_of`` / ``context_from_traceparent``); work done once for several events' traces
is linked to each of them (``batch_parent``). Exporters are chosen by the standard ``OTEL_*``
variables, the sampler too (``sampling.py``), and the SDK reads the rest itself (endpoint,
headers, batch sizes, resource attributes), so business code never configures telemetry; it only
names attributes with the constants here.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Mapping, Sequence

import grpc
from opentelemetry import propagate, trace
from opentelemetry.context import Context, attach, detach
from opentelemetry.instrumentation.grpc import aio_client_interceptors
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from signalmesh.interceptors import OPEN_METHOD_PREFIXES, Continuation, around, final_status, wrap_rpc_handler
from signalmesh.telemetry.sampling import configured_sampler

# Span attributes. Identifiers and decisions only: never personal data (DESIGN §7).
EVENT_ID = "signalmesh.event_id"
# A batch span carries every event id it covers (a list attribute).
EVENT_IDS = "signalmesh.event_ids"
DESTINATION = "signalmesh.destination"
DECISION = "signalmesh.decision"
REASON = "signalmesh.reason"
# An event's root span: whether the gateway accepted or rejected it.
DISPOSITION = "signalmesh.disposition"
# How many events a span's work covers (a micro-batch's).
EVENT_COUNT = "signalmesh.event_count"

EXPORTER_CHOICES = ("otlp", "console", "none")


def selected_exporters(variable: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The exporters ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` ask for.

    The variable is a comma-separated list of ``otlp``, ``console`` and ``none``. Unset, it
    means ``otlp`` when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and ``none`` otherwise, so a
    local run exports nothing until a collector is named. Unknown names fail start-up loudly.
    """
    environment = os.environ if environ is None else environ
    raw = environment.get(variable, "").strip().lower()
    if not raw:
        return ("otlp",) if environment.get("OTEL_EXPORTER_OTLP_ENDPOINT") else ()
    names = tuple(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    unknown = [name for name in names if name not in EXPORTER_CHOICES]
    if unknown:
        raise ValueError(
            f"{variable}: unsupported exporter(s) {unknown}; "
            f"use a comma-separated list of {list(EXPORTER_CHOICES)}"
        )
    if "otlp" in names:
        _require_grpc_protocol(environment, variable.removesuffix("_EXPORTER").removeprefix("OTEL_"))
    return tuple(name for name in names if name != "none")


def _require_grpc_protocol(environment: Mapping[str, str], signal: str) -> None:
    # Only the OTLP/gRPC exporter ships with SignalMesh (Jaeger and collectors ingest it natively).
    for variable in (f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = environment.get(variable, "").strip()
        if protocol and protocol != "grpc":
            raise ValueError(
                f'{variable}={protocol!r}: SignalMesh exports OTLP over gRPC only; unset it or use "grpc"'
            )


def service_resource(service_name: str) -> Resource:
    """The resource for ``service_name``; ``OTEL_SERVICE_NAME`` and a ``service.name`` in
    ``OTEL_RESOURCE_ATTRIBUTES`` override it, as the OpenTelemetry specification says."""
    from_environment = OTELResourceDetector().detect()
    defaults = {} if from_environment.attributes.get(SERVICE_NAME) else {SERVICE_NAME: service_name}
    return Resource.create(defaults)


def setup_tracing(
    service_name: str, *, environ: Mapping[str, str] | None = None, set_global: bool = True
) -> TracerProvider:
    """Build this service's tracer provider from the ``OTEL_*`` variables and make it global.

    Call once at start-up and pass the provider to ``server_interceptors`` /
    ``client_interceptors``. The global provider can be set only once per process (an
    in-process test mesh runs several services), so later calls return a working provider
    without replacing the global one; ``set_global=False`` never touches it.
    """
    environment = os.environ if environ is None else environ
    exporters = selected_exporters("OTEL_TRACES_EXPORTER", environment)
    provider = TracerProvider(
        resource=service_resource(service_name),
        sampler=configured_sampler(bool(exporters), environment),
        span_limits=span_limits(environment),
    )
    for name in exporters:
        provider.add_span_processor(BatchSpanProcessor(_span_exporter(name)))
    if set_global and isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    return provider


# A batch span links to each of its events' traces: room for the largest batch (a SendEvents call
# holds up to 1,000 events; Google Ads takes 2,000 conversions per request) instead of the SDK's
# 128, unless OTEL_SPAN_LINK_COUNT_LIMIT says otherwise.
BATCH_LINK_LIMIT = 2000


def span_limits(environ: Mapping[str, str]) -> SpanLimits:
    explicit = environ.get("OTEL_SPAN_LINK_COUNT_LIMIT", "").strip()
    # SpanLimits reads the OTEL_*_LIMIT variables itself for every argument left out.
    return SpanLimits() if explicit else SpanLimits(max_links=BATCH_LINK_LIMIT)


def _span_exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    # Imported here: it pulls in the exporter's gRPC stack, which a console run does not need.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def shutdown_tracing(provider: TracerProvider) -> None:
    """Export every finished span, then stop the exporters. Blocks; call at shut-down."""
    provider.force_flush()
    provider.shutdown()


def server_interceptors(tracer_provider: trace.TracerProvider) -> list[grpc.aio.ServerInterceptor]:
    """Continue the caller's trace: one SERVER span per RPC, named after the method.

    Reads W3C ``traceparent``/``tracestate`` from the invocation metadata; works for all four
    method kinds, including streaming handlers that ``context.write()`` (the contrib aio server
    interceptor fails on those, e.g. on health Watch). Health and reflection are not traced:
    probes would fill the trace store. Put it first, so auth and logging run inside the span.
    """
    return [TracingServerInterceptor(tracer_provider.get_tracer("signalmesh.grpc"))]


# Per OpenTelemetry's RPC conventions, these codes mark a server span as failed.
_SERVER_ERROR_CODES = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class TracingServerInterceptor(grpc.aio.ServerInterceptor):
    """The server half of gRPC trace propagation (the client half is OpenTelemetry's own)."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        carrier = {
            key: value
            for key, value in handler_call_details.invocation_metadata or ()
            if isinstance(value, str)
        }
        service, _, short_method = method.lstrip("/").partition("/")
        attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": short_method}
        span: trace.Span = trace.INVALID_SPAN
        token: contextvars.Token[Context] | None = None

        def start(context: grpc.aio.ServicerContext) -> None:
            nonlocal span, token
            parent = propagate.extract(carrier, context=Context())
            span = self._tracer.start_span(
                method, context=parent, kind=trace.SpanKind.SERVER, attributes=attributes
            )
            token = attach(trace.set_span_in_context(span, parent))

        def end(context: grpc.aio.ServicerContext, error: BaseException | None) -> None:
            code = final_status(context, error)
            span.set_attribute("rpc.grpc.status_code", code.value[0])
            if code in _SERVER_ERROR_CODES:
                details = context.details()
                span.set_status(trace.StatusCode.ERROR, f"{code.name}: {details}" if details else code.name)
                if isinstance(error, Exception) and not isinstance(error, grpc.aio.AbortError):
                    span.record_exception(error)
            span.end()
            if token is not None:
                detach(token)

        return wrap_rpc_handler(
            handler, lambda behaviour, streaming: around(behaviour, streaming, start, end)
        )


def client_interceptors(tracer_provider: trace.TracerProvider) -> list[grpc.aio.ClientInterceptor]:
    """One CLIENT span per call, with W3C trace context injected into the call's metadata.

    Pass to ``grpc.aio.insecure_channel(..., interceptors=...)``; covers all four call kinds.
    """
    return list(aio_client_interceptors(tracer_provider=tracer_provider))


_W3C = TraceContextTextMapPropagator()


def current_traceparent(context: Context | None = None) -> str:
    """The W3C ``traceparent`` of the current span (or of the span in ``context``; "" when there
    is none), e.g. to store with an outbox entry so its later delivery continues the trace."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=context)
    return carrier.get("traceparent", "")


def traceparent_of(span_context: trace.SpanContext) -> str:
    """The W3C ``traceparent`` naming ``span_context`` (what ``current_traceparent`` gives for its
    span, without a propagator's round trip: it is written for every outbox entry)."""
    if not span_context.is_valid:
        return ""
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{span_context.trace_flags:02x}"


def new_unsampled_span_context() -> trace.SpanContext:
    """A fresh trace id and span id, not sampled: an event's trace that no one records still has
    its own id (for its status and result), at the cost of two random numbers."""
    return trace.SpanContext(
        _ids.generate_trace_id(), _ids.generate_span_id(), is_remote=False, trace_flags=_NOT_SAMPLED
    )


_ids = RandomIdGenerator()
# Made once: one such context is made per event of every call no one traces.
_NOT_SAMPLED = trace.TraceFlags(trace.TraceFlags.DEFAULT)


# What ``traceparent_of`` writes (version 00, lower-case hex, no extra fields).
_OUR_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def context_from_traceparent(traceparent: str) -> Context:
    """A context whose parent is the span ``traceparent`` names; pass it as ``context=`` when
    starting a span. A malformed or empty value gives an empty context (a new trace).

    Read once per outbox entry delivered: the form ``traceparent_of`` writes is parsed here
    directly (the context the W3C propagator would build, without its carrier round trip);
    anything else goes to the propagator."""
    match = _OUR_TRACEPARENT.fullmatch(traceparent)
    if match is not None:
        trace_hex, span_hex, flags = match.groups()
        trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
        if trace_id and span_id:
            trace_flags = _FLAGS.get(flags)
            if trace_flags is None:
                trace_flags = trace.TraceFlags(int(flags, 16))
            span_context = trace.SpanContext(trace_id, span_id, is_remote=True, trace_flags=trace_flags)
            # Contexts are never changed in place (each set makes a new one): one empty base.
            return trace.set_span_in_context(trace.NonRecordingSpan(span_context), _EMPTY_CONTEXT)
    return _W3C.extract({"traceparent": traceparent}, context=Context())


# The flags nearly every stored traceparent carries (not sampled, sampled), made once.
_FLAGS = {"00": trace.TraceFlags(0), "01": trace.TraceFlags(1)}
_EMPTY_CONTEXT = Context()


def trace_id_hex() -> str:
    """The current trace id as 32 lower-case hex digits, or "" outside a span."""
    span_context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(span_context.trace_id) if span_context.is_valid else ""


def trace_id_of(context: Context) -> str:
    """The trace id of the span in ``context``, as 32 lower-case hex digits ("" for none)."""
    span_context = trace.get_current_span(context).get_span_context()
    return trace.format_trace_id(span_context.trace_id) if span_context.is_valid else ""


def batch_parent(contexts: Sequence[Context]) -> tuple[Context, list[Link]]:
    """Where a span doing one piece of work for several events goes (a micro-batch's policy
    call, one dispatch to a platform): the parent to start it under and the links it carries.

    Events that all share one trace (one event, or one unary caller's) get the span in that
    trace. Events of several traces get it in a new trace of its own, linked to each sampled
    one (``FollowLinks`` keeps it when any is), so no event's trace holds the others' work.
    When none of them is sampled, the first event's unsampled context: nothing is recorded.
    """
    span_contexts = [trace.get_current_span(context).get_span_context() for context in contexts]
    first = span_contexts[0].trace_id if span_contexts else 0
    if all(span_context.trace_id == first for span_context in span_contexts):
        return (contexts[0] if contexts else Context()), []
    sampled = {
        (span_context.trace_id, span_context.span_id): span_context
        for span_context in span_contexts
        if span_context.is_valid and span_context.trace_flags.sampled
    }
    links = [Link(span_context) for span_context in sampled.values()]
    return (Context(), links) if links else (contexts[0], [])
