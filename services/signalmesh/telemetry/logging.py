"""Logs as data: structlog configured once per service, with trace ids and redaction on every line.

Every line (our own and the stdlib lines of grpc, aiohttp and friends, routed through
structlog's ``ProcessorFormatter``) passes the same processors: bound context vars, level, ISO
timestamp, ``service``, the current OTel ``trace_id``/``span_id`` (so a line finds its trace),
then redaction, then JSON (production) or the console renderer (a terminal).

Why redaction is a processor: personal data is normalised and hashed at the edge (DESIGN §1),
so raw emails and phones should never reach a log call. This is defence in depth for the day
one does (an exception message quoting a field, a stray ``log.info(..., email=...)``): the
processor runs on every line from every logger, after exceptions are formatted, so no code path
can forget it. It (a) replaces the value of any key named like personal data and (b) replaces
any string value that contains an email address or a phone-like run of 7+ digits. It is shaped
not to eat what operators need: hex hashes, trace and span ids, UUIDs, ISO timestamps,
decimals, ids such as ``evt-1234567`` and numbers (only strings are scanned) survive.
Exceptions are rendered as plain text before redaction, never with the pretty renderer's
local variables, which could hold raw events.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from google.protobuf.message import Message
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"

# Keys whose values are personal data, in our spelling and in the platforms' short forms
# (Meta/TikTok: em, ph, fn, ln, db, ct, zp). Compared case-insensitively.
PERSONAL_KEYS = frozenset(
    {
        "email", "emails", "phone", "phones", "first_name", "first_names", "last_name", "last_names",
        "name", "names", "date_of_birth", "dob", "city", "cities", "zip", "zip_code", "postal_code",
        "street", "streets", "address", "addresses", "user_data",
        "em", "ph", "fn", "ln", "db", "ct", "zp",
    }
)  # fmt: skip
# Any key containing one of these is personal too (customer_email, phone_number, ...).
_PERSONAL_KEY_PARTS = ("email", "phone")
# Identifiers we generate or require to be opaque, logged on purpose: never scanned for content
# (a numeric order id used as event id looks like a phone number but is what operators search).
_IDENTIFIER_KEYS = frozenset(
    {"timestamp", "trace_id", "span_id", "parent_span_id", "traceparent", "event_id", "event_ids"}
)

_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_][\w\-]*")
# Tokens that contain long digit runs but are never phones; masked before looking for phones.
_NOT_PHONES = re.compile(
    r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"  # UUID
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"  # ISO 8601
    r"|\b(?=\d*[a-fA-F])[0-9a-fA-F]{16,}\b"  # hex: hashes, trace ids, span ids
)
# A run of digits with optional +, spaces, dashes and parentheses, standing on its own: not
# glued to a word (hex hashes, evt-123), not part of a decimal number (1234567.89).
_PHONE_LIKE = re.compile(r"(?<![\w\-])(?<!\d\.)\+?[(\d][\d ()\-]*\d(?![\w\-]|\.\d)")
_MIN_PHONE_DIGITS = 7


def contains_personal_data(text: str) -> bool:
    """True when ``text`` holds an email address or a phone-number-like run of 7+ digits."""
    if _EMAIL.search(text):
        return True
    masked = _NOT_PHONES.sub("x", text)
    return any(
        sum(char.isdigit() for char in match.group()) >= _MIN_PHONE_DIGITS
        for match in _PHONE_LIKE.finditer(masked)
    )


def is_personal_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in PERSONAL_KEYS or any(part in lowered for part in _PERSONAL_KEY_PARTS)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTED if contains_personal_data(value) else value
    if isinstance(value, Message):
        # Wire messages carry raw events; their text form is never fit for a log line.
        return REDACTED
    if isinstance(value, Mapping):
        # A key can be data too ({"jane@example.com": 3}): scrub it like a value.
        return {
            _scrub(key): REDACTED if is_personal_key(str(key)) else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item) for item in value]
    return value


def redact_personal_data(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: personal keys → "[redacted]", strings holding emails/phones too."""
    for key, value in event_dict.items():
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the stdlib record), never rendered
        if is_personal_key(key):
            event_dict[key] = REDACTED
        elif key not in _IDENTIFIER_KEYS:
            event_dict[key] = _scrub(value)
    return event_dict


def add_trace_context(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current span's ``trace_id`` and ``span_id`` ("" outside spans)."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = trace.format_trace_id(span_context.trace_id)
        event_dict["span_id"] = trace.format_span_id(span_context.span_id)
    else:
        event_dict["trace_id"] = event_dict["span_id"] = ""
    return event_dict


def _add_service(service: str) -> Processor:
    def add_service(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


def shared_processors(service: str) -> list[Processor]:
    """What every line goes through before rendering, whichever logger produced it."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        add_trace_context,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        redact_personal_data,
    ]


class _SignalMeshHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the root handler we installed, so that reconfiguring replaces only ours."""


def setup_logging(
    service: str, *, json: bool | None = None, level: str = "info", stream: TextIO | None = None
) -> None:
    """Configure structlog and the stdlib root logger once, at start-up.

    ``json=None`` renders JSON unless ``stream`` is a terminal; ``stream=None`` means the
    process's stderr at call time. Calling again reconfigures (tests do).
    """
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"log level {level!r} is not one of debug, info, warning, error, critical")
    output = sys.stderr if stream is None else stream
    as_json = not _is_terminal(output) if json is None else json
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=_is_terminal(output))
    )
    processors = shared_processors(service)
    merge_contextvars, *rest = processors
    structlog.configure(
        # Our own lines skip the work below the level; stdlib lines were filtered by logging.
        processors=[
            merge_contextvars,
            structlog.stdlib.filter_by_level,
            *rest,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: reconfiguration (and structlog.testing.capture_logs) must reach every logger.
        cache_logger_on_first_use=False,
    )
    handler = _SignalMeshHandler(output)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=processors,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for previous in [existing for existing in root.handlers if isinstance(existing, _SignalMeshHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(numeric_level)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
