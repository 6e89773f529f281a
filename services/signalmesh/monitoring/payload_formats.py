"""The format a JSON value is written in, as far as its text tells: a SHA-256 hash or a clear
email, a number kept as text, a time in seconds or in milliseconds. Pure; ``payload_diff`` reports
two values of one type whose formats differ, since that is what breaks an event more often than
its value does.
"""

from __future__ import annotations

import re
from typing import Any

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA256_UPPER = re.compile(r"[0-9A-F]{64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUMERIC = re.compile(r"[-+]?\d+(\.\d+)?")
_PHONE = re.compile(r"\+?[\d\s().-]{7,}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_TOKEN_PART = re.compile(r"[A-Za-z0-9_-]+")
_DIGIT_RUNS = {10: "<seconds>", 13: "<milliseconds>"}
# Keys whose numbers are times: their magnitude tells seconds from milliseconds.
_TIME_KEY = re.compile(r"time|timestamp|date|_at$|At$", re.IGNORECASE)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def value_format(value: Any, key: str = "") -> str:
    """The format a scalar is written in, as far as it tells: a hash from a clear value, a number
    kept as text, a time in seconds from one in milliseconds. "" for objects and arrays."""
    if isinstance(value, bool) or value is None:
        return json_type(value)
    if isinstance(value, int | float):
        if _TIME_KEY.search(key):
            magnitude = abs(value)
            if 1e12 <= magnitude < 1e14:
                return "epoch milliseconds"
            if 1e9 <= magnitude < 1e11:
                return "epoch seconds"
        return "number"
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if not text:
        return "empty string"
    for pattern, name in (
        (_SHA256, "SHA-256 hash"),
        (_SHA256_UPPER, "SHA-256 hash in upper case"),
        (_EMAIL, "clear email"),
        (_NUMERIC, "number as text"),
        (_IPV4, "IPv4 address"),
        (_PHONE, "clear phone"),
        (_DATE, "date"),
        (_URL, "URL"),
    ):
        if pattern.fullmatch(text):
            return name
    if _DATE_TIME.match(text):
        return "date-time text"
    if (shape := dotted_shape(text)) is not None:
        return shape
    return "text"


def dotted_shape(text: str) -> str | None:
    """The shape of a dotted token with a time in it (Meta's ``fb.1.<creation time>.<id>``
    cookies, GA's ``<random>.<timestamp>``), so a creation time in seconds shows against one in
    milliseconds; None for other text. A part of 10 digits reads as seconds, of 13 as
    milliseconds (a random part of that length reads so too: this is a reading aid)."""
    parts = text.split(".")
    if len(parts) < 2 or not all(_TOKEN_PART.fullmatch(part) for part in parts):
        return None
    shown_parts = []
    for index, part in enumerate(parts):
        if part.isdigit():
            # A short number (Meta's subdomain index) is part of the shape as it is.
            shown_parts.append(_DIGIT_RUNS.get(len(part), part if len(part) <= 2 else "<digits>"))
        elif index == 0 and len(part) <= 4:
            shown_parts.append(part)  # a prefix such as fb or GA1 is part of the shape
        else:
            shown_parts.append("<text>")
    if not any(part in _DIGIT_RUNS.values() for part in shown_parts):
        return None
    return "token " + ".".join(shown_parts)
