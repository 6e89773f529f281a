"""The floor: a bare grpc.aio server speaking the Gateway API that does no work at all.

It parses each request and answers every event ACCEPTED, so comparing against it isolates what
SignalMesh itself costs (validation, hashing, the policy hop, the outbox) from gRPC's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import grpc
from signalmesh import grpc_runtime
from signalmesh.service_process import write_ready_file
from signalmesh.v1 import gateway_pb2, gateway_pb2_grpc


class EchoGateway(gateway_pb2_grpc.GatewayServicer):
    async def SendEvents(
        self, request: gateway_pb2.SendEventsRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.SendEventsResponse:
        results = [
            gateway_pb2.EventResult(
                event_id=event.event_id, index=index, disposition=gateway_pb2.DISPOSITION_ACCEPTED
            )
            for index, event in enumerate(request.events)
        ]
        return gateway_pb2.SendEventsResponse(results=results, accepted=len(results))

    async def SendEvent(
        self, request: gateway_pb2.SendEventRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.SendEventResponse:
        return gateway_pb2.SendEventResponse(
            result=gateway_pb2.EventResult(
                event_id=request.event.event_id, disposition=gateway_pb2.DISPOSITION_ACCEPTED
            )
        )


async def main(ready_file: str) -> None:
    server = grpc.aio.server()
    gateway_pb2_grpc.add_GatewayServicer_to_server(EchoGateway(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    write_ready_file(ready_file, f"127.0.0.1:{port}")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready-file", required=True)
    grpc_runtime.run(main(parser.parse_args().ready_file))
