"""One trace across gRPC hops and the outbox, exported through real OTLP/gRPC to a receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from signalmesh.telemetry.tracing import (
    EVENT_IDS,
    client_interceptors,
    context_from_traceparent,
    current_traceparent,
    selected_exporters,
    server_interceptors,
    service_resource,
    setup_tracing,
    shutdown_tracing,
    trace_id_hex,
)

from tests.support.otlp_receiver import OtlpTraceReceiver, ReceivedSpan, running_otlp_receiver

UNARY = "/test.Echo/Unary"
CHAT = "/test.Echo/Chat"
SERVER_KIND, CLIENT_KIND = 2, 3


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpTraceReceiver]:
    async with running_otlp_receiver() as running:
        yield running


def exporting_provider(service_name: str, receiver: OtlpTraceReceiver) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    exporter = OTLPSpanExporter(endpoint=receiver.address, insecure=True)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


async def flush(*providers: TracerProvider) -> None:
    """Export now. The blocking export runs off the loop, which the receiver shares."""
    for provider in providers:
        await asyncio.to_thread(provider.force_flush)


class Echo:
    """A tiny generic service: echoes bytes and remembers the trace id it ran in."""

    def __init__(self) -> None:
        self.trace_ids: list[str] = []

    async def unary(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        self.trace_ids.append(trace_id_hex())
        return request

    async def chat(
        self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        async for request in requests:
            self.trace_ids.append(trace_id_hex())
            yield request

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            "test.Echo",
            {
                "Unary": grpc.unary_unary_rpc_method_handler(self.unary),
                "Chat": grpc.stream_stream_rpc_method_handler(self.chat),
            },
        )


@pytest.fixture
async def traced_pair(
    receiver: OtlpTraceReceiver,
) -> AsyncIterator[tuple[Echo, grpc.aio.Channel, TracerProvider, TracerProvider]]:
    client_provider = exporting_provider("test-client", receiver)
    server_provider = exporting_provider("test-server", receiver)
    echo = Echo()
    server = grpc.aio.server(interceptors=server_interceptors(server_provider))
    server.add_generic_rpc_handlers((echo.handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(
        f"127.0.0.1:{port}", interceptors=client_interceptors(client_provider)
    )
    try:
        yield echo, channel, client_provider, server_provider
    finally:
        await channel.close()
        await server.stop(grace=None)
        client_provider.shutdown()
        server_provider.shutdown()


def edge(spans: Sequence[ReceivedSpan], method: str) -> tuple[ReceivedSpan, ReceivedSpan] | None:
    """The (client span, server span) pair of ``method``, once both have arrived."""
    clients = [span for span in spans if span.name == method and span.kind == CLIENT_KIND]
    servers = [span for span in spans if span.name == method and span.kind == SERVER_KIND]
    return (clients[0], servers[0]) if clients and servers else None


async def test_unary_call_continues_the_callers_trace_on_the_server(
    traced_pair: tuple[Echo, grpc.aio.Channel, TracerProvider, TracerProvider], receiver: OtlpTraceReceiver
) -> None:
    """root (client) → CLIENT span → SERVER span: one trace id, each parent the span before."""
    echo, channel, client_provider, server_provider = traced_pair
    with client_provider.get_tracer("test").start_as_current_span("send batch") as root:
        assert await channel.unary_unary(UNARY)(b"ping", timeout=5) == b"ping"
        root_trace_id = trace_id_hex()

    await flush(client_provider, server_provider)
    spans = await receiver.wait_for(
        lambda spans: edge(spans, UNARY) is not None and bool(receiver.named("send batch"))
    )
    client_span, server_span = edge(spans, UNARY) or (None, None)
    assert client_span is not None and server_span is not None
    assert client_span.service_name == "test-client" and server_span.service_name == "test-server"
    assert client_span.trace_id == server_span.trace_id == root_trace_id
    assert client_span.parent_span_id == trace.format_span_id(root.get_span_context().span_id)
    assert server_span.parent_span_id == client_span.span_id
    assert (
        server_span.attributes["rpc.method"] == "Unary"
        and server_span.attributes["rpc.grpc.status_code"] == 0
    )
    assert echo.trace_ids == [root_trace_id]


async def test_bidi_stream_continues_the_callers_trace_on_the_server(
    traced_pair: tuple[Echo, grpc.aio.Channel, TracerProvider, TracerProvider], receiver: OtlpTraceReceiver
) -> None:
    """A stream written with write()/done_writing() is one CLIENT → SERVER edge in the trace."""
    echo, channel, client_provider, server_provider = traced_pair
    with client_provider.get_tracer("test").start_as_current_span("stream events"):
        root_trace_id = trace_id_hex()
        call = channel.stream_stream(CHAT)(timeout=5)
        for message in (b"one", b"two", b"three"):
            await call.write(message)
        await call.done_writing()
        replies = [reply async for reply in call]
    assert replies == [b"one", b"two", b"three"]
    assert await call.code() == grpc.StatusCode.OK

    await flush(client_provider, server_provider)
    spans = await receiver.wait_for(lambda spans: edge(spans, CHAT) is not None)
    client_span, server_span = edge(spans, CHAT) or (None, None)
    assert client_span is not None and server_span is not None
    assert client_span.trace_id == server_span.trace_id == root_trace_id
    assert server_span.parent_span_id == client_span.span_id
    assert echo.trace_ids == [root_trace_id] * 3


async def test_bidi_stream_from_a_request_iterator_is_traced(
    traced_pair: tuple[Echo, grpc.aio.Channel, TracerProvider, TracerProvider], receiver: OtlpTraceReceiver
) -> None:
    """The other way to feed a bidi call (an async iterator of requests) propagates too."""
    echo, channel, client_provider, server_provider = traced_pair

    async def requests() -> AsyncIterator[bytes]:
        for message in (b"a", b"b"):
            yield message

    with client_provider.get_tracer("test").start_as_current_span("stream events"):
        root_trace_id = trace_id_hex()
        replies = [reply async for reply in channel.stream_stream(CHAT)(requests(), timeout=5)]
    assert replies == [b"a", b"b"]
    assert echo.trace_ids == [root_trace_id] * 2

    await flush(client_provider, server_provider)
    spans = await receiver.wait_for(lambda spans: edge(spans, CHAT) is not None)
    client_span, server_span = edge(spans, CHAT) or (None, None)
    assert client_span is not None and server_span is not None
    assert server_span.parent_span_id == client_span.span_id


async def test_traceparent_round_trip_continues_the_trace_later(receiver: OtlpTraceReceiver) -> None:
    """gateway stores current_traceparent() with the outbox entry; the dispatcher continues it."""
    provider = exporting_provider("test-gateway", receiver)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("enqueue") as enqueue:
        stored = current_traceparent()
    assert current_traceparent() == "" and trace_id_hex() == ""
    assert current_traceparent(trace.set_span_in_context(enqueue)) == stored

    with tracer.start_as_current_span(
        "deliver", context=context_from_traceparent(stored), attributes={EVENT_IDS: ["evt-1", "evt-2"]}
    ):
        delivered_trace_id = trace_id_hex()

    await flush(provider)
    spans = await receiver.wait_for(lambda spans: len(spans) >= 2)
    (deliver,) = receiver.named("deliver")
    assert (
        deliver.trace_id == delivered_trace_id == trace.format_trace_id(enqueue.get_span_context().trace_id)
    )
    assert deliver.parent_span_id == trace.format_span_id(enqueue.get_span_context().span_id)
    assert deliver.attributes[EVENT_IDS] == ["evt-1", "evt-2"]
    assert stored.startswith("00-") and len(spans) == 2
    provider.shutdown()


@pytest.mark.parametrize(
    "traceparent", ["", "garbage", "00-00000000000000000000000000000000-0000000000000000-01"]
)
def test_a_bad_traceparent_starts_a_new_trace(traceparent: str) -> None:
    """An outbox entry without a usable traceparent is delivered in a trace of its own."""
    context = context_from_traceparent(traceparent)
    assert not trace.get_current_span(context).get_span_context().is_valid


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ()),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, ()),
        ({"OTEL_TRACES_EXPORTER": "console"}, ("console",)),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ("otlp", "console")),
    ],
)
def test_exporters_follow_the_standard_variables(environ: dict[str, str], expected: tuple[str, ...]) -> None:
    """Nothing is exported until a collector is named or an exporter is asked for."""
    assert selected_exporters("OTEL_TRACES_EXPORTER", environ) == expected


@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_TRACES_EXPORTER": "zipkin"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
    ],
)
def test_unsupported_exporter_settings_fail_at_start_up(environ: dict[str, str]) -> None:
    """A typo in OTEL_* must not silently drop every span."""
    with pytest.raises(ValueError, match="OTEL_"):
        selected_exporters("OTEL_TRACES_EXPORTER", environ)


@pytest.fixture
def clean_otel_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for variable in (
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ):
        monkeypatch.delenv(variable, raising=False)
    yield monkeypatch


def test_service_name_comes_from_the_code_unless_otel_service_name_overrides_it(
    clean_otel_environment: pytest.MonkeyPatch,
) -> None:
    """OTEL_SERVICE_NAME > service.name in OTEL_RESOURCE_ATTRIBUTES > the name the code passes."""
    clean_otel_environment.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
    resource = service_resource("gateway")
    assert resource.attributes[SERVICE_NAME] == "gateway"
    assert resource.attributes["deployment.environment"] == "test"
    clean_otel_environment.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes")
    assert service_resource("gateway").attributes[SERVICE_NAME] == "from-attributes"
    clean_otel_environment.setenv("OTEL_SERVICE_NAME", "gateway-eu")
    assert service_resource("gateway").attributes[SERVICE_NAME] == "gateway-eu"


async def test_setup_tracing_exports_over_otlp_when_an_endpoint_is_set(
    clean_otel_environment: pytest.MonkeyPatch, receiver: OtlpTraceReceiver
) -> None:
    """The standard variables alone are enough to reach a collector; shutdown flushes."""
    clean_otel_environment.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://{receiver.address}")
    clean_otel_environment.setenv("OTEL_SERVICE_NAME", "policy-test")
    provider = setup_tracing("policy", set_global=False)
    with provider.get_tracer("test").start_as_current_span("decide"):
        pass
    await asyncio.to_thread(shutdown_tracing, provider)

    spans = await receiver.wait_for(lambda spans: bool(spans))
    assert [(span.service_name, span.name) for span in spans] == [("policy-test", "decide")]
