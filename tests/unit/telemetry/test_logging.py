"""structlog set-up: redaction of personal data, trace ids on every line, JSON that parses."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from google.protobuf.struct_pb2 import Struct
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from signalmesh.telemetry.logging import REDACTED, contains_personal_data, redact_personal_data, setup_logging

SCRUBBED = [
    "jane.doe@example.com",
    "send failed for Jane.Doe+ads@example.co.uk, retrying",
    "josé@correo.es",
    "+1 (555) 123-4567",
    "call 555-123-4567 today",
    "+4915112345678",
    "06 12 34 56 78",
    "tel:+15551234567",
    "the number was 5551234567.",
    "(555)1234567",
    "phones=['+15551234567']",
]

KEPT = [
    # SHA-256 hashes, including ones whose leading digits alone look like a phone number.
    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
    "1234567890a84898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72",
    "deadbeef12345678901234deadbeef12345678901234deadbeef123456789012",
    # UUIDs, trace and span ids, a whole traceparent.
    "123e4567-e89b-12d3-a456-426614174000",
    "12345678-1234-1234-1234-123456789012",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "00f067aa0ba902b7",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-1234567890123456-01",
    # Event and order ids.
    "evt-123",
    "evt-1234567890",
    "order_12345678",
    "purchase-2024-05-01-0001234567",
    # Timestamps and decimals.
    "2024-05-01T12:34:56.123456+00:00",
    "2024-05-01T12:34:56Z",
    "2024-05-01 12:34:56",
    "event_time 2024-05-01 accepted",
    "1716200000.123456",
    "value 1234567.89 EUR",
    # What servers log about themselves.
    "ipv4:127.0.0.1:50051",
    "listening on 127.0.0.1:7400",
    "/signalmesh.v1.Gateway/SendEvents",
    "sent 3 events to meta in 12.5 ms",
    "grpc version 1.85.1",
    "retry after 120 s (attempt 3 of 8)",
    "",
]


@pytest.mark.parametrize("text", SCRUBBED)
def test_strings_with_an_email_or_phone_are_personal(text: str) -> None:
    """An email address or a 7+ digit phone-like run anywhere in a string is caught."""
    assert contains_personal_data(text)


@pytest.mark.parametrize("text", KEPT)
def test_hashes_ids_and_timestamps_are_not_personal(text: str) -> None:
    """Redaction must not eat what operators search for: hashes, ids, times, decimals."""
    assert not contains_personal_data(text)


def redact(**event_dict: Any) -> dict[str, Any]:
    return dict(redact_personal_data(None, "info", event_dict))


@pytest.mark.parametrize(
    "key",
    ["email", "Emails", "customer_email", "phone", "phone_number", "phones", "first_name", "last_name",
     "name", "date_of_birth", "city", "zip", "street", "address", "user_data",
     "em", "ph", "fn", "ln", "db", "ct", "zp"],
)  # fmt: skip
def test_personal_keys_are_redacted_whatever_their_value(key: str) -> None:
    """A key named like personal data loses its value, even a hashed or harmless-looking one."""
    assert redact(event="ok", **{key: "a1b2c3"})[key] == REDACTED


def test_strings_are_redacted_in_messages_nested_dicts_and_lists() -> None:
    """Content rules apply at any depth; structure, ids and non-personal keys survive."""
    logged = redact(
        event="rejected jane@example.com",
        event_name="Purchase",
        destination="meta",
        user={"em": "abc", "note": "call +1 555 123 4567", "id": "evt-1", "hashes": ["5e88489" + "8" * 57]},
        recipients=["a@b.io", "evt-2"],
        attempts_by_recipient={"a@b.io": 2},
        count=15551234567,
        duration_ms=12.5,
    )
    assert logged == {
        "event": REDACTED,
        "event_name": "Purchase",
        "destination": "meta",
        "user": {"em": REDACTED, "note": REDACTED, "id": "evt-1", "hashes": ["5e88489" + "8" * 57]},
        "recipients": [REDACTED, "evt-2"],
        "attempts_by_recipient": {REDACTED: 2},
        "count": 15551234567,
        "duration_ms": 12.5,
    }


def test_redaction_does_not_mutate_what_the_caller_logged() -> None:
    """The caller's dict keeps its data; only the log line is scrubbed."""
    user = {"em": "jane@example.com"}
    redact(event="x", user=user)
    assert user == {"em": "jane@example.com"}


def test_identifiers_and_protobuf_messages() -> None:
    """Numeric event ids stay searchable; a wire message is never rendered into a line."""
    message = Struct()
    message.update({"emails": ["jane@example.com"]})
    logged = redact(event="x", event_id="5551234567890", trace_id="0" * 32, request=message)
    assert logged == {"event": "x", "event_id": "5551234567890", "trace_id": "0" * 32, "request": REDACTED}


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """JSON logging into a StringIO; restores structlog and the root logger afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    setup_logging("test-service", json=True, level="debug", stream=stream)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_is_json_with_service_level_timestamp_and_empty_trace_ids_outside_spans(
    log_output: io.StringIO,
) -> None:
    """Outside a span the ids are present and empty, so every line has the same shape."""
    structlog.get_logger("signalmesh.test").info("started", port=7400)
    (line,) = lines(log_output)
    assert line["event"] == "started" and line["port"] == 7400
    assert (
        line["service"] == "test-service" and line["level"] == "info" and line["logger"] == "signalmesh.test"
    )
    assert line["timestamp"].endswith("Z") and line["timestamp"][:4].isdigit()
    assert line["trace_id"] == "" and line["span_id"] == ""


def test_lines_inside_a_span_carry_its_trace_and_span_id_for_structlog_and_stdlib(
    log_output: io.StringIO,
) -> None:
    """grpc/aiohttp stdlib lines go through the same processors as ours."""
    tracer = TracerProvider().get_tracer("test")
    with (
        tracer.start_as_current_span("decide") as span,
        structlog.contextvars.bound_contextvars(rpc_method="/x/Y"),
    ):
        structlog.get_logger().info("decided", destination="meta")
        logging.getLogger("grpc._server").warning("peer %s sent %s", "ipv4:127.0.0.1:1", "jane@example.com")
    structlog.get_logger().info("after")
    ours, foreign, after = lines(log_output)
    trace_id = trace.format_trace_id(span.get_span_context().trace_id)
    span_id = trace.format_span_id(span.get_span_context().span_id)
    for line in (ours, foreign):
        assert (line["trace_id"], line["span_id"], line["service"]) == (trace_id, span_id, "test-service")
        assert line["rpc_method"] == "/x/Y"
    assert foreign["logger"] == "grpc._server" and foreign["level"] == "warning"
    assert foreign["event"] == REDACTED
    assert after["trace_id"] == "" and "rpc_method" not in after


def test_exception_tracebacks_are_rendered_then_redacted(log_output: io.StringIO) -> None:
    """A traceback quoting personal data is caught like any other string."""
    try:
        raise ValueError("bad phone +1 555 123 4567")
    except ValueError:
        structlog.get_logger().exception("validation crashed")
    (line,) = lines(log_output)
    assert line["exception"] == REDACTED and line["event"] == "validation crashed"


def test_lines_below_the_level_are_dropped() -> None:
    """level="warning" drops info lines from structlog and stdlib loggers alike."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        setup_logging("svc", json=True, level="warning", stream=stream)
        structlog.get_logger().info("quiet")
        logging.getLogger("aiohttp.access").info("quiet too")
        structlog.get_logger().warning("loud")
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
    assert [line["event"] for line in lines(stream)] == ["loud"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "expect_json"), [(io.StringIO(), True), (Terminal(), False)])
def test_json_unless_the_stream_is_a_terminal(stream: io.StringIO, expect_json: bool) -> None:
    """json=None picks JSON for files and pipes, the readable console renderer for a tty."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        setup_logging("svc", stream=stream)
        structlog.get_logger().info("hello", email="jane@example.com")
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
    output = stream.getvalue()
    assert output.startswith("{") is expect_json
    assert "hello" in output and "jane@example.com" not in output


def test_an_unknown_level_fails_loudly() -> None:
    with pytest.raises(ValueError, match="loud"):
        setup_logging("svc", level="loud", stream=io.StringIO())
