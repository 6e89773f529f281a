"""A real OTLP/gRPC trace receiver for `make bench`: what a collector or Jaeger would be, minus
the storage. It decodes every export (as a collector must) and counts the spans per
``service.name``; on SIGTERM it writes the counts as JSON to ``--counts-file``, so the bench can
say how many spans each traced gateway actually exported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from signalmesh import grpc_runtime
from signalmesh.service_process import write_ready_file


class CountingReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: Counter[str] = Counter()

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.aio.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        for resource_spans in request.resource_spans:
            service = next(
                (
                    attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == "service.name"
                ),
                "",
            )
            self.spans[service] += sum(len(scope.spans) for scope in resource_spans.scope_spans)
        return trace_service_pb2.ExportTraceServiceResponse()


async def main(ready_file: str, counts_file: Path) -> None:
    receiver = CountingReceiver()
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    write_ready_file(ready_file, f"127.0.0.1:{port}")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)
    counts_file.write_text(json.dumps(dict(receiver.spans)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--counts-file", required=True, type=Path)
    arguments = parser.parse_args()
    grpc_runtime.run(main(arguments.ready_file, arguments.counts_file))
