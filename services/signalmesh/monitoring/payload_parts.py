"""Which part of a platform request body is one event's own: the element of the request's events
array that names it. Pure, and shared by what the dispatcher keeps and by ``signalmesh diff``.

A request for several events wraps them in one top-level array (Meta and TikTok ``data``, GA4
``events``, Google Ads ``conversions``, LinkedIn ``elements``, the webhook's ``events``). An
event's own part is that envelope with the array holding only its element, so a field keeps the
same path (``data[0].custom_data.value``) however many events travelled with it. The element is
found by the event id it carries (a key spelt ``event_id`` or ``eventId``, at any depth of the
element); when some element carries none (Google Ads has no event id field), by position: every
connector puts the events in its body in the order of ``HttpRequest.event_ids``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Key names, lower-cased without "_", that hold an event's id.
_EVENT_ID_KEYS = frozenset({"eventid"})
# How deep inside an element the id may sit (GA4: events[i].params.event_id).
_MAX_DEPTH = 3


def named_event_id(element: Any, depth: int = 0) -> str | None:
    """The event id an element carries, or None."""
    if not isinstance(element, dict) or depth > _MAX_DEPTH:
        return None
    for key, value in element.items():
        if isinstance(value, str) and key.replace("_", "").lower() in _EVENT_ID_KEYS:
            return value
    for value in element.values():
        if isinstance(value, dict) and (found := named_event_id(value, depth + 1)) is not None:
            return found
    return None


def events_array(document: Any, count: int) -> str | None:
    """The key of the one top-level array of ``count`` objects (the request's events), or None
    when there is none or more than one."""
    if not isinstance(document, dict) or count < 1:
        return None
    keys = [
        key
        for key, value in document.items()
        if isinstance(value, list) and len(value) == count and all(isinstance(item, dict) for item in value)
    ]
    return keys[0] if len(keys) == 1 else None


def element_positions(document: Any, event_ids: Sequence[str]) -> tuple[str, dict[str, int]] | None:
    """The key of the request's events array and each event's position in it, or None when the
    body does not show which element is whose. Positions, not copies: the dispatcher encodes each
    element once and splices it into the envelope (``gateway.kept_payloads``)."""
    key = events_array(document, len(event_ids))
    if key is None:
        return None
    wanted = set(event_ids)
    by_id: dict[str, int] = {}
    for position, element in enumerate(document[key]):
        named = named_event_id(element)
        if named in wanted and named not in by_id:
            by_id[named] = position
    if len(by_id) != len(wanted):  # some event is named by no element: match by position
        by_id = {event_id: position for position, event_id in enumerate(event_ids)}
    return key, by_id


def split_by_event(document: Any, event_ids: Sequence[str]) -> dict[str, Any] | None:
    """Each event's own part of a body that carried ``event_ids``, or None when the body does not
    show which element is whose (then the whole body is all there is to keep)."""
    found = element_positions(document, event_ids)
    if found is None:
        return None
    key, positions = found
    elements = document[key]
    return {event_id: {**document, key: [elements[position]]} for event_id, position in positions.items()}


def own_part(document: Any, event_id: str) -> Any:
    """``event_id``'s own part of a body kept whole (one that carried other events too), found by
    the id its element carries; the document unchanged when it holds one event or none names it."""
    if not isinstance(document, dict):
        return document
    for key, value in document.items():
        if isinstance(value, list) and len(value) > 1:
            mine = [element for element in value if named_event_id(element) == event_id]
            if len(mine) == 1:
                return {**document, key: mine}
    return document
