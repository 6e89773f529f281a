"""The shared grpc.aio runtime on a real server: health, reflection, graceful stop, auth, RPC logs."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from signalmesh.config import SCOPES, ApiClient
from signalmesh.grpc_runtime import (
    RunningServer,
    install_signal_handlers,
    run,
    standard_interceptors,
    start_server,
)
from signalmesh.interceptors import (
    AuthInterceptor,
    LoggingInterceptor,
    current_client,
    generate_api_key,
    hash_api_key,
    load_or_create_local_key,
)
from signalmesh.telemetry.logging import add_trace_context
from structlog.testing import capture_logs

SERVICE = "test.Echo"
SHOP_KEY, OPS_KEY = generate_api_key(), generate_api_key()
CLIENTS = (
    ApiClient(name="shop", key_sha256=hash_api_key(SHOP_KEY), scopes=("events:write",)),
    ApiClient(name="ops", key_sha256=hash_api_key(OPS_KEY), scopes=SCOPES),
)
METHOD_SCOPES = {
    f"/{SERVICE}/Write": "events:write",
    f"/{SERVICE}/Chat": "events:write",
    f"/{SERVICE}/Admin": "admin",
}
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


async def whoami(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    structlog.get_logger("test.servicer").info("answering")
    return (current_client() or "-").encode()


async def chat(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    async for request in requests:
        yield request + b" from " + (current_client() or "-").encode()


async def crash(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise RuntimeError("a bug")


def add_echo(server: grpc.aio.Server) -> None:
    """A tiny generic service (bytes in, bytes out), independent of the signalmesh protos."""
    handlers = {
        "Write": grpc.unary_unary_rpc_method_handler(whoami),
        "Admin": grpc.unary_unary_rpc_method_handler(whoami),
        "Unlisted": grpc.unary_unary_rpc_method_handler(whoami),
        "Crash": grpc.unary_unary_rpc_method_handler(crash),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


@asynccontextmanager
async def serving(
    *interceptors: grpc.aio.ServerInterceptor,
) -> AsyncIterator[tuple[RunningServer, grpc.aio.Channel]]:
    running = await start_server(
        listen="127.0.0.1:0", add_services=add_echo, service_names=[SERVICE], interceptors=interceptors
    )
    channel = grpc.aio.insecure_channel(running.address)
    try:
        yield running, channel
    finally:
        await channel.close()
        await running.stop(grace=0)


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[RunningServer, grpc.aio.Channel]]:
    async with serving(LoggingInterceptor(), AuthInterceptor(CLIENTS, METHOD_SCOPES)) as pair:
        yield pair


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


async def test_health_reports_serving_for_the_server_and_each_service() -> None:
    """Kubernetes probes ask "" or the service name; both answer SERVING once started."""
    async with serving() as (running, channel):
        stub = health_pb2_grpc.HealthStub(channel)
        for name in ("", SERVICE):
            assert (
                await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            ).status == SERVING
        assert running.address == f"127.0.0.1:{running.port}" and running.port > 0


async def test_reflection_lists_the_services_health_and_reflection() -> None:
    """grpcurl can discover every service without the protos."""
    async with serving() as (_, channel):
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        call = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        (response,) = [response async for response in call]
    names = {service.name for service in response.list_services_response.service}
    assert names == {
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }


async def test_stop_flips_health_to_not_serving_before_the_server_goes_away() -> None:
    """A watcher (a load balancer) hears NOT_SERVING while in-flight calls still get their grace."""
    async with serving() as (running, channel):
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=10
        )
        assert (await watch.read()).status == SERVING
        stopping = asyncio.create_task(running.stop(grace=5))
        assert (await watch.read()).status == NOT_SERVING
        assert not stopping.done()  # the open watch is an in-flight call, inside its grace
        watch.cancel()
        await asyncio.wait_for(stopping, timeout=5)
        await asyncio.wait_for(running.wait(), timeout=5)


async def test_a_port_in_use_fails_loudly() -> None:
    """Two servers must not silently share one port (gRPC's SO_REUSEPORT is turned off)."""
    async with serving() as (running, _):
        with pytest.raises(OSError, match=f"cannot listen on {running.address}"):
            await start_server(listen=running.address, add_services=add_echo, service_names=[SERVICE])


async def test_calls_without_a_key_are_unauthenticated_with_a_fix_in_the_message(guarded: Any) -> None:
    """The message says exactly what metadata to send."""
    _, channel = guarded
    for metadata in ((), (("authorization", f"Basic {SHOP_KEY}"),), (("authorization", "Bearer "),)):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await channel.unary_unary(f"/{SERVICE}/Write")(b"", metadata=metadata, timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "send `authorization: Bearer <api key>` metadata" in (refused.value.details() or "")


async def test_an_unknown_key_is_unauthenticated(guarded: Any) -> None:
    _, channel = guarded
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await channel.unary_unary(f"/{SERVICE}/Write")(b"", metadata=bearer(generate_api_key()), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (refused.value.details() or "").startswith("unknown API key")


async def test_a_key_without_the_methods_scope_is_permission_denied_naming_the_scope(guarded: Any) -> None:
    _, channel = guarded
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await channel.unary_unary(f"/{SERVICE}/Admin")(b"", metadata=bearer(SHOP_KEY), timeout=5)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "'shop' lacks scope 'admin'" in (refused.value.details() or "")


async def test_a_good_key_reaches_the_servicer_as_current_client(guarded: Any) -> None:
    """Each call sees its own client; nothing leaks from one RPC into the next."""
    _, channel = guarded
    assert (
        await channel.unary_unary(f"/{SERVICE}/Write")(b"", metadata=bearer(SHOP_KEY), timeout=5) == b"shop"
    )
    assert await channel.unary_unary(f"/{SERVICE}/Admin")(b"", metadata=bearer(OPS_KEY), timeout=5) == b"ops"
    assert (
        await channel.unary_unary(f"/{SERVICE}/Write")(b"", metadata=bearer(SHOP_KEY), timeout=5) == b"shop"
    )
    assert current_client() is None


async def test_methods_missing_from_the_scope_table_still_need_a_key(guarded: Any) -> None:
    """Secure by default: only health and reflection are open."""
    _, channel = guarded
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await channel.unary_unary(f"/{SERVICE}/Unlisted")(b"", timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (
        await channel.unary_unary(f"/{SERVICE}/Unlisted")(b"", metadata=bearer(SHOP_KEY), timeout=5)
        == b"shop"
    )


async def test_bidi_streams_are_authenticated_too(guarded: Any) -> None:
    _, channel = guarded
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        _ = [reply async for reply in channel.stream_stream(f"/{SERVICE}/Chat")(iter([b"hi"]), timeout=5)]
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    call = channel.stream_stream(f"/{SERVICE}/Chat")(iter([b"a", b"b"]), metadata=bearer(SHOP_KEY), timeout=5)
    assert [reply async for reply in call] == [b"a from shop", b"b from shop"]


async def test_health_and_reflection_stay_open_without_a_key(guarded: Any) -> None:
    _, channel = guarded
    health = health_pb2_grpc.HealthStub(channel)
    assert (await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)).status == SERVING
    call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    (response,) = [response async for response in call]
    assert response.list_services_response.service


async def test_one_canonical_log_line_per_rpc_with_its_status_code(guarded: Any) -> None:
    """unary OK, refused, crashed, and a bidi stream: one line each; messages never logged."""
    _, channel = guarded
    with capture_logs() as logs:
        await channel.unary_unary(f"/{SERVICE}/Write")(
            b"secret-payload", metadata=bearer(SHOP_KEY), timeout=5
        )
        with pytest.raises(grpc.aio.AioRpcError):
            await channel.unary_unary(f"/{SERVICE}/Admin")(
                b"secret-payload", metadata=bearer(SHOP_KEY), timeout=5
            )
        with pytest.raises(grpc.aio.AioRpcError):
            await channel.unary_unary(f"/{SERVICE}/Crash")(
                b"secret-payload", metadata=bearer(OPS_KEY), timeout=5
            )
        chat_call = channel.stream_stream(f"/{SERVICE}/Chat")(
            iter([b"secret-payload"] * 2), metadata=bearer(SHOP_KEY)
        )
        _ = [reply async for reply in chat_call]

    lines = [line for line in logs if line["event"] == "rpc finished"]
    assert [(line["rpc.method"], line["code"], line["client"], line["log_level"]) for line in lines] == [
        (f"/{SERVICE}/Write", "OK", "shop", "debug"),
        (f"/{SERVICE}/Admin", "PERMISSION_DENIED", "shop", "info"),
        (f"/{SERVICE}/Crash", "UNKNOWN", "ops", "error"),
        (f"/{SERVICE}/Chat", "OK", "shop", "debug"),
    ]
    assert all(
        isinstance(line["duration_ms"], float) and line["peer"].startswith("ipv4:127.0.0.1:")
        for line in lines
    )
    assert isinstance(lines[2]["exc_info"], RuntimeError)
    assert "secret-payload" not in repr(logs)


async def test_sigterm_stops_the_server_gracefully() -> None:
    """What Kubernetes sends on a rolling update: health flips, then the server ends."""
    async with serving() as (running, _):
        remove = install_signal_handlers(running, asyncio.get_running_loop())
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(running.wait(), timeout=10)
        finally:
            remove()
        assert running.health._server_status[SERVICE] == NOT_SERVING


def test_run_uses_uvloop_and_grpc_aio_works_on_it() -> None:
    """Services run on uvloop when it is installed; a health check proves gRPC works there."""

    async def main() -> tuple[str, int]:
        async with serving() as (_, channel):
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        return type(asyncio.get_running_loop()).__module__, reply.status

    loop_module, status = run(main())
    assert loop_module.startswith("uvloop") and status == SERVING


def test_local_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    """With no [[clients]], services and CLI on one machine share one generated key."""
    state_dir = tmp_path / "state"
    key = load_or_create_local_key(state_dir)
    assert key.startswith("sm_") and len(key) > 40
    assert stat.S_IMODE((state_dir / "local-api-key").stat().st_mode) == 0o600
    assert load_or_create_local_key(state_dir) == key
    assert [path.name for path in state_dir.iterdir()] == ["local-api-key"]


async def test_standard_chain_puts_trace_ids_method_and_client_on_every_line_of_an_rpc() -> None:
    """A servicer's own lines and the canonical line share the RPC's context and trace."""
    interceptors = standard_interceptors(
        tracer_provider=TracerProvider(), clients=CLIENTS, method_scopes=METHOD_SCOPES
    )
    processors = [structlog.contextvars.merge_contextvars, add_trace_context]
    async with serving(*interceptors) as (_, channel):
        with capture_logs(processors=processors) as logs:
            await channel.unary_unary(f"/{SERVICE}/Write")(b"", metadata=bearer(SHOP_KEY), timeout=5)
    servicer_line, canonical_line = logs
    assert servicer_line["event"] == "answering" and canonical_line["event"] == "rpc finished"
    for line in logs:
        assert line["rpc.method"] == f"/{SERVICE}/Write" and line["client"] == "shop"
        assert len(line["trace_id"]) == 32 and line["trace_id"] == servicer_line["trace_id"]


@pytest.mark.parametrize("package", ["grpc.reflection.v1", "grpc.reflection.v1alpha"])
async def test_reflection_answers_under_the_current_v1_name_and_v1alpha(package: str) -> None:
    """grpcurl ≥ 1.8 and Postman ask grpc.reflection.v1 first; older tools ask v1alpha. The two
    protocols share their messages' field numbers, so the v1alpha messages decode v1 replies."""
    async with serving() as (_, channel):
        method = channel.stream_stream(
            f"/{package}.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health"),
        ]
        listed, described = [response async for response in method(iter(requests), timeout=5)]
    names = {service.name for service in listed.list_services_response.service}
    assert {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} <= names
    (descriptor,) = described.file_descriptor_response.file_descriptor_proto
    assert b"grpc.health.v1" in descriptor
