"""Finding 3 of issue 11: a body that is not protobuf is answered from metadata first.

An anonymous caller is refused before its body is decoded; an authenticated caller's
undecodable body is INVALID_ARGUMENT with one warning line (no bytes, no error traceback).
"""

from __future__ import annotations

import logging

import grpc
import pytest
import structlog

GARBAGE = b"\xff\xff\xff\xff\x0f" + b"not protobuf at all \x00\x01"
METHODS = ("/signalmesh.v1.Gateway/SendEvents", "/signalmesh.v1.Gateway/SendEvent")


def _raw(channel: grpc.aio.Channel, method: str) -> grpc.aio.UnaryUnaryMultiCallable:
    identity = lambda data: data  # noqa: E731 - bytes on the wire exactly as given
    return channel.unary_unary(method, request_serializer=identity, response_deserializer=identity)


def _no_error_lines(logs: list[dict], records: list[logging.LogRecord]) -> None:
    assert not [line for line in logs if line["log_level"] in ("error", "critical")], logs
    assert not [line for line in logs if "exc_info" in line], logs
    assert not [record for record in records if record.levelno >= logging.ERROR], records


@pytest.mark.parametrize("method", METHODS)
async def test_garbage_without_a_key_is_unauthenticated_and_never_decoded(mesh, method, caplog):
    with structlog.testing.capture_logs() as logs, pytest.raises(grpc.aio.AioRpcError) as error:
        await _raw(mesh.channel, method)(GARBAGE, timeout=10)
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert not [line for line in logs if line["event"] == "request body does not decode"]
    _no_error_lines(logs, caplog.records)


@pytest.mark.parametrize("method", METHODS)
async def test_garbage_with_a_key_is_invalid_argument_logged_once_as_a_warning(mesh, method, caplog):
    with structlog.testing.capture_logs() as logs, pytest.raises(grpc.aio.AioRpcError) as error:
        await _raw(mesh.channel, method)(GARBAGE, metadata=mesh.metadata, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid protobuf" in error.value.details()
    warnings = [line for line in logs if line["event"] == "request body does not decode"]
    assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
    assert warnings[0]["size"] == len(GARBAGE)
    assert "not protobuf" not in repr(logs)  # the bytes are never logged
    _no_error_lines(logs, caplog.records)


async def test_a_stream_with_an_undecodable_message_is_invalid_argument(mesh, caplog):
    identity = lambda data: data  # noqa: E731
    call = mesh.channel.stream_stream(
        "/signalmesh.v1.Gateway/StreamEvents", request_serializer=identity, response_deserializer=identity
    )
    with structlog.testing.capture_logs() as logs:
        stream = call(iter([GARBAGE]), metadata=mesh.metadata, timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            async for _ in stream:
                pass
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _no_error_lines(logs, caplog.records)


async def test_a_valid_body_still_works(mesh):
    from signalmesh.v1 import gateway_pb2

    from tests.integration.mesh.conftest import make_event

    response = await mesh.send(make_event("decodes-1"))
    assert response.accepted == 1 and isinstance(response, gateway_pb2.SendEventsResponse)


async def test_policy_without_a_token_answers_garbage_with_invalid_argument(mesh, caplog):
    async with grpc.aio.insecure_channel(mesh.policy.address) as channel:
        with structlog.testing.capture_logs() as logs, pytest.raises(grpc.aio.AioRpcError) as error:
            await _raw(channel, "/signalmesh.v1.Policy/Decide")(GARBAGE, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [line["log_level"] for line in logs if line["event"] == "request body does not decode"] == [
        "warning"
    ]
    _no_error_lines(logs, caplog.records)
