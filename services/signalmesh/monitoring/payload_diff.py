"""The structural difference between two events' kept payloads, and between the platform's
answers to them: the practice's way through a vague platform error is to put a payload that
worked beside one that failed. Pure; `signalmesh diff` loads the two and prints this.

Two events' values always differ (their hashes, ids and times), so the request bodies are
compared by structure only: a field present in one only, a different JSON type (a string value
against a number), or a different format of the same type (a SHA-256 hash against a clear email,
a time in seconds against one in milliseconds). The answers are compared by value too: the HTTP
status, the outcome, and every field of the answer body (error code, message, the field it
blames). Paths read like the platform's JSON: ``data[0].custom_data.value``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from signalmesh.monitoring.payload_formats import json_type, value_format
from signalmesh.monitoring.payload_parts import own_part

# How much of a value a difference shows.
MAX_SHOWN_CHARS = 60
MAX_SHOWN_KEYS = 5

_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")


class Kind(StrEnum):
    ONLY_IN_A = "only in A"
    ONLY_IN_B = "only in B"
    TYPE = "type"
    FORMAT = "format"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    kind: Kind
    # What each side has there, as a person reads it ("" where the side has nothing).
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class Side:
    """One event at one destination: its kept exchange and how the delivery ended."""

    event_id: str
    request_body: str
    response_body: str
    response_status: int
    state: str  # "delivered", "rejected", …
    platform_response: str = ""


@dataclass(frozen=True, slots=True)
class PayloadDiff:
    request: list[Difference]
    answer: list[Difference]
    # Why part of the comparison is by text only (a body cut at the bound is not JSON).
    notes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.request and not self.answer


def shown(value: Any) -> str:
    """A short rendering: scalars as JSON (cut), objects by their keys, arrays by their length."""
    if isinstance(value, dict):
        keys = sorted(value)
        more = f", …{len(keys) - MAX_SHOWN_KEYS} more" if len(keys) > MAX_SHOWN_KEYS else ""
        return "{" + ", ".join(keys[:MAX_SHOWN_KEYS]) + more + "}"
    if isinstance(value, list) and not _shown_whole(value):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


# Formats shown by name, not value: a hash says nothing to a reader, a clear value should not be
# echoed to a terminal.
_SHOWN_BY_FORMAT = frozenset({"SHA-256 hash", "SHA-256 hash in upper case", "clear email", "clear phone"})


def _described(value: Any, key: str) -> str:
    if (format_name := value_format(value, key)) in _SHOWN_BY_FORMAT:
        return f"{json_type(value)} ({format_name})"
    return f"{json_type(value)} {shown(value)}"


def _shown_whole(value: Any) -> bool:
    """Scalars, and short arrays of scalars (``["data", "0", "user_data.fbc"]``), read best whole."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return not any(isinstance(item, dict | list) for item in value) and (
            len(json.dumps(value, ensure_ascii=False)) <= MAX_SHOWN_CHARS
        )
    return True


def child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def diff_documents(a: Any, b: Any, *, values: bool = False, path: str = "") -> list[Difference]:
    """Differences between two JSON documents, in document order (A's keys, then B's own).

    ``values``: also report equal-typed scalars that differ (for answers); a subtree present on
    one side only is then listed leaf by leaf, so an error's code and message each show."""
    type_a, type_b = json_type(a), json_type(b)
    if type_a != type_b:
        key = path.rsplit(".", 1)[-1]
        return [Difference(path, Kind.TYPE, _described(a, key), _described(b, key))]
    if isinstance(a, dict):
        found: list[Difference] = []
        for key in [*a, *(key for key in b if key not in a)]:
            below = child_path(path, key)
            if key not in b:
                found += _one_side(a[key], below, Kind.ONLY_IN_A, values)
            elif key not in a:
                found += _one_side(b[key], below, Kind.ONLY_IN_B, values)
            else:
                found += diff_documents(a[key], b[key], values=values, path=below)
        return found
    if isinstance(a, list):
        found = []
        for index in range(max(len(a), len(b))):
            below = child_path(path, index)
            if index >= len(b):
                found += _one_side(a[index], below, Kind.ONLY_IN_A, values)
            elif index >= len(a):
                found += _one_side(b[index], below, Kind.ONLY_IN_B, values)
            else:
                found += diff_documents(a[index], b[index], values=values, path=below)
        return found
    key = path.rsplit(".", 1)[-1]
    format_a, format_b = value_format(a, key), value_format(b, key)
    if format_a != format_b:
        return [Difference(path, Kind.FORMAT, format_a, format_b)]
    if values and a != b:
        return [Difference(path, Kind.VALUE, shown(a), shown(b))]
    return []


def _one_side(value: Any, path: str, kind: Kind, leaves: bool) -> list[Difference]:
    if leaves and value and not _shown_whole(value):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return [
            difference
            for key, item in items
            for difference in _one_side(item, child_path(path, key), kind, leaves)
        ]
    described = _described(value, path.rsplit(".", 1)[-1])
    return [
        Difference(path, kind, described, "")
        if kind is Kind.ONLY_IN_A
        else Difference(path, kind, "", described)
    ]


def diff_payloads(a: Side, b: Side) -> PayloadDiff:
    """What differs between two events' requests (structure) and the platform's answers (values)."""
    notes: list[str] = []
    request = _diff_bodies(a.request_body, b.request_body, "request", notes)
    if request is None:
        # Bodies kept whole (their events could not be told apart when sent): each event's part.
        request = diff_documents(
            own_part(json.loads(a.request_body), a.event_id), own_part(json.loads(b.request_body), b.event_id)
        )
    answer = [
        Difference(f"({name})", Kind.VALUE, left, right)
        for name, left, right in (
            ("outcome", a.state, b.state),
            ("HTTP status", _status(a.response_status), _status(b.response_status)),
            ("platform's answer", a.platform_response, b.platform_response),
        )
        if left != right
    ]
    body = _diff_bodies(a.response_body, b.response_body, "answer", notes)
    answer += (
        body
        if body is not None
        else diff_documents(json.loads(a.response_body), json.loads(b.response_body), values=True)
    )
    return PayloadDiff(request, answer, notes)


def _diff_bodies(text_a: str, text_b: str, what: str, notes: list[str]) -> list[Difference] | None:
    """The differences when a body is empty or not JSON (a cut one), compared as text; None when
    both are JSON documents to compare structurally."""
    if text_a == text_b and not _is_json(text_a):
        return []
    if not text_a or not text_b:
        summary_a, summary_b = _text_summary(text_a), _text_summary(text_b)
        kind = Kind.ONLY_IN_A if text_a else Kind.ONLY_IN_B
        return [Difference("(body)", kind, summary_a if text_a else "", summary_b if text_b else "")]
    if _is_json(text_a) and _is_json(text_b):
        return None
    notes.append(f"the {what} bodies are not both JSON (a body over the bound is cut): compared as text")
    return (
        []
        if text_a == text_b
        else [Difference("(body)", Kind.VALUE, _text_summary(text_a), _text_summary(text_b))]
    )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _status(status: int) -> str:
    return str(status) if status else "no answer"


def _text_summary(text: str) -> str:
    return f"text of {len(text.encode('utf-8'))} bytes: {shown(text)}"
