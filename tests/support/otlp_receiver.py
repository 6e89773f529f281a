"""An in-process OTLP/gRPC trace receiver: what Jaeger or a collector would see, in a test.

Spans reach it through the real ``OTLPSpanExporter`` over a real gRPC connection, so a test
that asserts parent → child edges here proves the whole export path, not an in-memory stand-in.
Export from a ``BatchSpanProcessor`` (its worker thread does the blocking export) and flush it
with ``await asyncio.to_thread(provider.force_flush)``: the receiver shares the test's event
loop, so a blocking export on the loop itself would wait for an answer that cannot come.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2


@dataclass(frozen=True, slots=True)
class ReceivedSpan:
    """One exported span, flattened for assertions (ids as lower-case hex, "" for no parent)."""

    service_name: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    # opentelemetry.proto.trace.v1.Span.SpanKind: 2 SERVER, 3 CLIENT, 1 INTERNAL.
    kind: int
    attributes: dict[str, Any]
    # The spans this one links to, as (trace id, span id) in hex.
    links: tuple[tuple[str, str], ...] = ()


class OtlpTraceReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    """Collects every span exported to it and lets a test wait for the ones it expects."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self._changed = asyncio.Condition()
        self.address = ""

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.aio.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        received = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            service_name=str(resource.get("service.name", "")),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            attributes=_attributes(span.attributes),
                            links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
                        )
                    )
        async with self._changed:
            self.spans.extend(received)
            self._changed.notify_all()
        return trace_service_pb2.ExportTraceServiceResponse()

    async def wait_for(
        self, predicate: Callable[[Sequence[ReceivedSpan]], bool], timeout: float = 10.0
    ) -> list[ReceivedSpan]:
        """Wait until ``predicate(spans received so far)`` holds; return those spans."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.spans)), timeout)
            return list(self.spans)

    def named(self, name: str) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.name == name]


@asynccontextmanager
async def running_otlp_receiver() -> AsyncIterator[OtlpTraceReceiver]:
    """Serve an ``OtlpTraceReceiver`` on 127.0.0.1 with a port the OS picks."""
    receiver = OtlpTraceReceiver()
    server = grpc.aio.server()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    receiver.address = f"127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await server.stop(grace=None)


def _attributes(key_values: Sequence[common_pb2.KeyValue]) -> dict[str, Any]:
    return {key_value.key: _value(key_value.value) for key_value in key_values}


def _value(value: common_pb2.AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None
