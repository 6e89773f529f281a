"""The interceptors' own rules, without a server: API-key hashing and lookup, the bearer header,
open methods, the status a finished call gets, its log level, and handler wrapping that keeps
a method's kind and (de)serialisers. The full chain on a real server is in
tests/integration/test_grpc_runtime.py."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import structlog
from signalmesh.config import ApiClient
from signalmesh.interceptors import (
    AuthInterceptor,
    LoggingInterceptor,
    around,
    dropped_by_level,
    final_status,
    generate_api_key,
    hash_api_key,
    load_or_create_local_key,
    wrap_rpc_handler,
)
from signalmesh.telemetry.logging import setup_logging
from structlog.testing import capture_logs

SHOP_KEY, OPS_KEY = generate_api_key(), generate_api_key()
SHOP = ApiClient(name="shop", key_sha256=hash_api_key(SHOP_KEY), scopes=("events:write",))
OPS = ApiClient(name="ops", key_sha256=hash_api_key(OPS_KEY))


@dataclass(frozen=True, slots=True)
class CallDetails(grpc.HandlerCallDetails):
    method: str
    invocation_metadata: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class FinishedCall:
    """What final_status and the log line read from a call's context once it has ended."""

    status: Any = None
    remaining: float | None = None

    def code(self) -> Any:
        return self.status

    def time_remaining(self) -> float | None:
        return self.remaining

    def peer(self) -> str:
        return "ipv4:127.0.0.1:50000"


async def echo(request: bytes, context: Any) -> bytes:
    return request


def test_a_key_is_stored_as_its_sha256_and_generated_keys_are_distinct():
    assert hash_api_key("sm_abc") == hashlib.sha256(b"sm_abc").hexdigest()
    keys = {generate_api_key() for _ in range(20)}
    assert len(keys) == 20 and all(key.startswith("sm_") and len(key) > 40 for key in keys)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ((("authorization", f"Bearer {SHOP_KEY}"),), SHOP),
        ((("authorization", f"bearer   {OPS_KEY}  "),), OPS),
        ((("authorization", f"Bearer {SHOP_KEY}".encode()),), SHOP),
        ((("x-other", "1"), ("authorization", f"Bearer {OPS_KEY}")), OPS),
        ((("authorization", f"Basic {SHOP_KEY}"),), None),
        ((("authorization", "Bearer "),), None),
        ((("authorization", "Bearer sm_not_a_configured_key"),), None),
        ((), None),
        (None, None),
    ],
)
def test_authenticate_finds_the_client_whose_key_the_bearer_header_carries(metadata, expected):
    assert AuthInterceptor([SHOP, OPS], {}).authenticate(metadata) == expected


async def test_open_methods_and_unknown_methods_pass_through_untouched():
    handler = grpc.unary_unary_rpc_method_handler(echo)

    async def continuation(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return None if details.method.endswith("/Missing") else handler

    auth = AuthInterceptor([SHOP], {})
    health = await auth.intercept_service(continuation, CallDetails("/grpc.health.v1.Health/Check"))
    assert health is handler, "probes need no key"
    assert await auth.intercept_service(continuation, CallDetails("/test.Echo/Missing")) is None
    guarded = await auth.intercept_service(continuation, CallDetails("/test.Echo/Write"))
    assert guarded is not handler and guarded is not None, "a keyless call gets a refusing handler"


def test_wrapping_keeps_the_kind_and_the_serialisers_of_every_handler():
    def wrapper(behaviour: Any, response_streaming: bool) -> Any:
        return ("wrapped", behaviour, response_streaming)

    serialise, deserialise = bytes.upper, bytes.lower
    for factory, attribute, streams_out in (
        (grpc.unary_unary_rpc_method_handler, "unary_unary", False),
        (grpc.unary_stream_rpc_method_handler, "unary_stream", True),
        (grpc.stream_unary_rpc_method_handler, "stream_unary", False),
        (grpc.stream_stream_rpc_method_handler, "stream_stream", True),
    ):
        original = factory(echo, request_deserializer=deserialise, response_serializer=serialise)
        wrapped = wrap_rpc_handler(original, wrapper)
        assert wrapped is not None
        assert getattr(wrapped, attribute) == ("wrapped", echo, streams_out)
        assert (wrapped.request_streaming, wrapped.response_streaming) == (
            original.request_streaming,
            original.response_streaming,
        )
        assert wrapped.request_deserializer is deserialise and wrapped.response_serializer is serialise
    assert wrap_rpc_handler(None, wrapper) is None


async def test_around_runs_before_and_after_and_hands_after_the_error():
    seen: list[Any] = []

    async def fails(request: bytes, context: Any) -> bytes:
        seen.append("behaviour")
        raise ValueError("boom")

    call = around(fails, False, lambda context: seen.append("before"), lambda c, error: seen.append(error))
    with pytest.raises(ValueError, match="boom"):
        await call(b"x", FinishedCall())
    assert seen[:2] == ["before", "behaviour"] and isinstance(seen[2], ValueError)


async def test_around_keeps_an_async_generator_streaming_and_ends_after_the_last_response():
    seen: list[Any] = []

    async def numbers(request: bytes, context: Any) -> AsyncIterator[int]:
        for number in range(3):
            seen.append(number)
            yield number

    stream = around(
        numbers, True, lambda context: seen.append("before"), lambda c, e: seen.append(("after", e))
    )
    assert [response async for response in stream(b"", FinishedCall())] == [0, 1, 2]
    assert seen == ["before", 0, 1, 2, ("after", None)]


@pytest.mark.parametrize(
    ("call", "error", "expected"),
    [
        (FinishedCall(), None, grpc.StatusCode.OK),
        (FinishedCall(status=grpc.StatusCode.NOT_FOUND), None, grpc.StatusCode.NOT_FOUND),
        (FinishedCall(), RuntimeError("a bug"), grpc.StatusCode.UNKNOWN),
        (FinishedCall(remaining=0.0), asyncio.CancelledError(), grpc.StatusCode.DEADLINE_EXCEEDED),
        (FinishedCall(remaining=3.0), asyncio.CancelledError(), grpc.StatusCode.CANCELLED),
        (FinishedCall(remaining=None), asyncio.CancelledError(), grpc.StatusCode.CANCELLED),
    ],
)
def test_final_status_is_what_the_client_will_see(call, error, expected):
    assert final_status(call, error) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "status", "level"),
    [
        ("/test.Echo/Write", None, "debug"),
        ("/grpc.health.v1.Health/Check", None, "debug"),
        ("/grpc.health.v1.Health/Check", grpc.StatusCode.UNAVAILABLE, "warning"),
        ("/test.Echo/Write", grpc.StatusCode.RESOURCE_EXHAUSTED, "warning"),
        ("/test.Echo/Write", grpc.StatusCode.INTERNAL, "error"),
        ("/test.Echo/Write", grpc.StatusCode.INVALID_ARGUMENT, "info"),
    ],
)
async def test_one_log_line_per_call_at_a_level_that_matches_its_status(method, status, level):
    async def continuation(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(echo)

    structlog.contextvars.clear_contextvars()
    handler = await LoggingInterceptor().intercept_service(continuation, CallDetails(method))
    assert handler is not None
    with capture_logs() as logs:
        assert await handler.unary_unary(b"ping", FinishedCall(status=status)) == b"ping"
    [line] = logs
    assert line["event"] == "rpc finished" and line["log_level"] == level
    assert line["rpc.method"] == method and line["code"] == (status or grpc.StatusCode.OK).name
    assert line["duration_ms"] >= 0 and "ping" not in str(line), "messages are never logged"


@pytest.mark.parametrize(
    ("configured", "status", "logged"),
    [
        ("info", None, False),  # no line for a successful call (and none is built)
        ("info", grpc.StatusCode.INVALID_ARGUMENT, True),
        ("info", grpc.StatusCode.UNAVAILABLE, True),
        ("debug", None, True),
        ("warning", grpc.StatusCode.INVALID_ARGUMENT, False),
    ],
)
async def test_under_the_configured_level_a_call_writes_no_line_and_at_it_the_line_is_whole(
    configured, status, logged
):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()

    async def continuation(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(echo)

    structlog.contextvars.clear_contextvars()
    try:
        setup_logging("test-service", json=True, level=configured, stream=stream)
        handler = await LoggingInterceptor().intercept_service(continuation, CallDetails("/test.Echo/Write"))
        assert handler is not None
        assert await handler.unary_unary(b"ping", FinishedCall(status=status)) == b"ping"
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    if not logged:
        assert lines == []
        return
    [line] = lines
    assert line["event"] == "rpc finished" and line["code"] == (status or grpc.StatusCode.OK).name
    assert line["rpc.method"] == "/test.Echo/Write" and line["peer"] == "ipv4:127.0.0.1:50000"


def test_only_a_chain_that_filters_by_level_drops_lines_early():
    """structlog's defaults and capture_logs have no level filter: every line is kept for them."""
    root = logging.getLogger()
    level = root.level
    structlog.reset_defaults()
    try:
        root.setLevel(logging.WARNING)
        assert not dropped_by_level("signalmesh.rpc", "debug")
        with capture_logs():
            assert not dropped_by_level("signalmesh.rpc", "debug")
        structlog.configure(processors=[structlog.stdlib.filter_by_level])
        assert dropped_by_level("signalmesh.rpc", "debug")
        assert dropped_by_level("signalmesh.rpc", "info")
        assert not dropped_by_level("signalmesh.rpc", "warning")
    finally:
        structlog.reset_defaults()
        root.setLevel(level)


def test_an_empty_local_key_file_is_refused_with_the_fix(tmp_path):
    (tmp_path / "local-api-key").write_text("\n")
    with pytest.raises(RuntimeError, match="is empty; delete it"):
        load_or_create_local_key(tmp_path)


def test_an_existing_local_key_is_kept(tmp_path):
    (tmp_path / "local-api-key").write_text("sm_existing\n")
    assert load_or_create_local_key(tmp_path) == "sm_existing"
