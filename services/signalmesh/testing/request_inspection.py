"""Reading requests the way the conformance suite checks them: which events a body carries,
and the comparable form of a request. Pure helpers over ``HttpRequest`` values."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import Any

from signalmesh.connector import HttpRequest


def event_ids_in_body(body: bytes, candidates: Collection[str]) -> list[str]:
    """The candidate event ids a body mentions, each once, in order of first appearance.

    A JSON body is walked in document order and only whole string values count, so
    ``evt-1`` is not found inside ``evt-10``; any other body is searched as text, for whole ids.
    """
    wanted = set(candidates)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        text = body.decode("utf-8", errors="replace")
        positions = {event_id: _whole_word(event_id).search(text) for event_id in wanted}
        return sorted(
            (event_id for event_id, match in positions.items() if match),
            key=lambda event_id: positions[event_id].start(),  # type: ignore[union-attr]
        )
    return list(dict.fromkeys(value for value in _strings(document) if value in wanted))


def comparable(request: HttpRequest) -> tuple[str, str, tuple[tuple[str, str], ...], bytes, tuple[str, ...]]:
    """Everything a request sends, as a value that compares byte for byte."""
    return (
        request.method,
        request.url,
        tuple(sorted(request.headers.items())),
        request.body,
        tuple(request.event_ids),
    )


def _whole_word(event_id: str) -> re.Pattern[str]:
    # "evt-1" must not be found inside "evt-10": an id is delimited by non-id characters.
    return re.compile(rf"(?<![\w.-]){re.escape(event_id)}(?![\w.-])")


def _strings(document: Any) -> Iterator[str]:
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from _strings(value)
    elif isinstance(document, list):
        for item in document:
            yield from _strings(item)
