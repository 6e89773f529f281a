"""The HTTP/2 limits every server gets, on a real server: a client pinging faster than allowed
is disconnected (keepalive enforcement), and a connection carries at most
``max_streams_per_connection`` streams at once (the rest wait in the client)."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from signalmesh.grpc_runtime import connection_options, start_server

SERVICE = "test.Limits"


async def test_a_client_pinging_faster_than_allowed_is_disconnected():
    server = await start_server(
        listen="127.0.0.1:0",
        add_services=lambda server: None,
        service_names=[SERVICE],
        options=connection_options(min_client_ping_interval_seconds=10),
    )
    # A client that pings every 50 ms, even on a quiet stream: a ping flood.
    flooding = grpc.aio.insecure_channel(
        server.address,
        options=[
            ("grpc.keepalive_time_ms", 50),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ],
    )
    try:
        watch = health_pb2_grpc.HealthStub(flooding).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=15
        )
        first = await watch.read()
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        # The quiet stream is cut by the server's GOAWAY (too_many_pings), well before its deadline.
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await watch.read()
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "too many pings" in (error.value.details() or "").lower()
    finally:
        await flooding.close()
        await server.stop(0)


async def test_a_connection_carries_at_most_its_streams_the_next_waits_for_one_to_end():
    server = await start_server(
        listen="127.0.0.1:0",
        add_services=lambda server: None,
        service_names=[SERVICE],
        options=connection_options(max_streams_per_connection=1),
    )
    channel = grpc.aio.insecure_channel(server.address)
    try:
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=15)
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        # The one stream is taken: a second call on this connection cannot start before its deadline.
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=0.5)
        assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        watch.cancel()
        answer = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=10)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await channel.close()
        await server.stop(0)
