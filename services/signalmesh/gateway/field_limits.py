"""The edge's size and range limits of a ConversionEvent, checked before any other rule. Pure.

Why first: every later stage (validation's regexes, hashing, de-duplication, building each
platform's JSON) costs time per byte and per list entry and assumes numbers and timestamps a
platform could take. An event over a limit is refused with only these violations, each naming
the field and the limit, so a hostile or careless event costs little and never raises further
on (a 310-digit ``value`` overflows a double; NaN is no JSON; a timestamp past year 9999 is no
datetime). The limits are the platforms' where ``/work/shared/platforms.md`` gives one (Google
Ads keeps 5 identifiers, GA4 3 per kind and 25 params), else a generous documented cap; the
README's "Field limits" table lists each.

Cost: every event passes through here, and almost every event meets every limit, so
:func:`limit_problems` first asks :func:`within_limits` — one pass over the fields with the
limits laid out per field at import, ``len`` mapped in C, no path strings and no messages — and
runs the rule-by-rule walk (:func:`each_limit_problem`, which names each field and builds each
description) only for an event it did not clear.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from itertools import chain
from operator import attrgetter, gt
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2

from signalmesh.v1 import event_pb2

Problem = tuple[str, str, str]

# Echoed input is cut to this many characters (plus "…"), so no message grows with the input.
ECHO_CHARACTERS = 64

# Repeated fields: at most this many entries. Platforms use few identifiers per kind (Google
# Ads at most 5 in all, GA4 3 each); 20 keeps every one a platform could use.
MAX_ENTRIES = {
    "user_data.emails": 20,
    "user_data.phones": 20,
    "user_data.external_ids": 20,
    "contents": 200,  # GA4 keeps at most 200 items per event
    "destinations": 50,
}

# String fields: at most this many characters.
MAX_LENGTH = {
    "event_id": 256,
    "event_name": 256,
    "event_source_url": 4096,
    "value": 32,
    "currency": 16,
    "order_id": 256,
    "user_data.emails[]": 256,  # RFC 5321: an address is at most 254 characters
    "user_data.phones[]": 64,
    "user_data.external_ids[]": 256,
    "user_data.first_name": 256,
    "user_data.last_name": 256,
    "user_data.gender": 64,
    "user_data.date_of_birth": 64,
    "user_data.city": 256,
    "user_data.state": 256,
    "user_data.zip": 64,
    "user_data.country": 64,
    "user_data.client_ip_address": 64,
    "user_data.client_user_agent": 1024,
    "destinations[]": 128,
}
CLICK_ID_LENGTH = 512  # every string in click_ids (fbclid, fbc, gclid, ...)
CONTENT_TEXT_LENGTH = 256  # contents[].id, name, category, delivery_category
ITEM_PRICE_LENGTH = 32
PROPERTY_KEY_LENGTH = 40  # GA4 param names: at most 40 characters
PROPERTY_STRING_LENGTH = 1024
# custom_properties: at most this many keys (GA4 keeps 25 params) and this deep a nesting.
MAX_CUSTOM_PROPERTIES = 100
MAX_CUSTOM_DEPTH = 4
# Money: at most 15 digits before the point, so the amount is exact as a JSON number (double).
MAX_AMOUNT = Decimal(10) ** 15
# Meta keeps the _fbc cookie 90 days (platforms.md 1.11): an older click builds an fbc it refuses.
MAX_CLICK_AGE_SECONDS = 90 * 86_400
# google.protobuf.Timestamp's documented range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799
# At most 15 digits before the point: below MAX_AMOUNT without building a Decimal.
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]*)?")


def cut(text: str, limit: int = ECHO_CHARACTERS) -> str:
    """``text`` as echoed in a message: ``repr``-quoted and at most ``limit`` characters + "…"."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def limit_problems(event: event_pb2.ConversionEvent, now: float) -> Iterator[Problem]:
    """(path, rule, description) of every limit ``event`` breaks; none for an ordinary event."""
    return iter(()) if within_limits(event, now) else each_limit_problem(event, now)


def each_limit_problem(event: event_pb2.ConversionEvent, now: float) -> Iterator[Problem]:
    """:func:`limit_problems` rule by rule, on any event (what an event :func:`within_limits`
    does not clear pays for)."""
    yield from _entries(event)
    yield from _lengths(event)
    yield from _enums(event)
    yield from _timestamps(event, now)
    for path, text in [("value", event.value)] + [
        (f"contents[{index}].item_price", content.item_price) for index, content in enumerate(event.contents)
    ]:
        yield from _amount(path, text)
    for index, content in enumerate(event.contents):
        if content.quantity < 0:
            yield (
                f"contents[{index}].quantity",
                "quantity.range",
                f"is {content.quantity}: a quantity is 1 or more (leave it unset when unknown)",
            )
    if event.HasField("custom_properties"):
        yield from _custom_properties(event.custom_properties)


def _entries(event: event_pb2.ConversionEvent) -> Iterator[Problem]:
    for path, cap in MAX_ENTRIES.items():
        count = len(_resolve(event, path))
        if count > cap:
            yield (path, "entries.max", f"has {count} entries; at most {cap} are accepted")


def _resolve(event: event_pb2.ConversionEvent, path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _lengths(event: event_pb2.ConversionEvent) -> Iterator[Problem]:
    for path, cap in MAX_LENGTH.items():
        if path.endswith("[]"):
            for index, text in enumerate(_resolve(event, path[:-2])):
                yield from _length(f"{path[:-2]}[{index}]", text, cap)
        else:
            yield from _length(path, _resolve(event, path), cap)
    for descriptor in event_pb2.ClickIds.DESCRIPTOR.fields:
        if descriptor.type == descriptor.TYPE_STRING:
            text = getattr(event.click_ids, descriptor.name)
            yield from _length(f"click_ids.{descriptor.name}", text, CLICK_ID_LENGTH)
    for index, content in enumerate(event.contents):
        for name in ("id", "name", "category", "delivery_category"):
            yield from _length(f"contents[{index}].{name}", getattr(content, name), CONTENT_TEXT_LENGTH)
        yield from _length(f"contents[{index}].item_price", content.item_price, ITEM_PRICE_LENGTH)


def _length(path: str, text: str, cap: int) -> Iterator[Problem]:
    if len(text) > cap:
        yield (
            path,
            "length.max",
            f"is {len(text)} characters long ({cut(text)}); at most {cap} are accepted",
        )


def _enums(event: event_pb2.ConversionEvent) -> Iterator[Problem]:
    """An enum number the proto does not define (proto3 keeps unknown numbers as they came)."""
    enums = event_pb2.DESCRIPTOR.enum_types_by_name
    fields = [
        ("action_source", event.action_source, enums["ActionSource"]),
        ("consent.ad_user_data", event.consent.ad_user_data, enums["ConsentStatus"]),
        ("consent.ad_personalization", event.consent.ad_personalization, enums["ConsentStatus"]),
    ]
    for path, number, enum in fields:
        if number not in enum.values_by_number:
            known = ", ".join(value.name for value in enum.values[1:])
            yield (path, "enum.unknown", f"{number} is not a defined value; use one of: {known}")


def _timestamps(event: event_pb2.ConversionEvent, now: float) -> Iterator[Problem]:
    stamps = [("event_time", event.HasField("event_time"), event.event_time)]
    stamps.append(
        ("click_ids.click_time", event.click_ids.HasField("click_time"), event.click_ids.click_time)
    )
    for path, present, stamp in stamps:
        if present and not _in_range(stamp):
            yield (
                path,
                "timestamp.range",
                f"seconds={stamp.seconds}, nanos={stamp.nanos} is not a valid timestamp: seconds from "
                "0001-01-01 to 9999-12-31 and nanos from 0 to 999999999",
            )
    click = event.click_ids.click_time
    if (
        event.click_ids.HasField("click_time")
        and _in_range(click)
        and now - click.seconds > MAX_CLICK_AGE_SECONDS
    ):
        yield (
            "click_ids.click_time",
            "click_time.too_old",
            f"is {int((now - click.seconds) // 86_400)} days ago; a click older than "
            f"{MAX_CLICK_AGE_SECONDS // 86_400} days builds an fbc Meta refuses "
            "(its _fbc cookie lives 90 days)",
        )


def _in_range(stamp: timestamp_pb2.Timestamp) -> bool:
    return _MIN_SECONDS <= stamp.seconds <= _MAX_SECONDS and 0 <= stamp.nanos <= 999_999_999


def _amount(path: str, text: str) -> Iterator[Problem]:
    """An amount too large to be exact as a platform's JSON number (a double)."""
    if _too_large(text):
        yield (path, "value.range", f"{cut(text)} is too large: at most 15 digits before the decimal point")


def _too_large(text: str) -> bool:
    if not text or len(text) > ITEM_PRICE_LENGTH or _PLAIN_AMOUNT.fullmatch(text):
        return False
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return False  # not a decimal: validation's value.decimal says so, with the fix
    return amount.is_finite() and abs(amount) >= MAX_AMOUNT


def _custom_properties(properties: struct_pb2.Struct) -> Iterator[Problem]:
    if len(properties.fields) > MAX_CUSTOM_PROPERTIES:
        yield (
            "custom_properties",
            "entries.max",
            f"has {len(properties.fields)} keys; at most {MAX_CUSTOM_PROPERTIES} are accepted",
        )
        return
    for key, value in properties.fields.items():
        path = f"custom_properties.{key[:PROPERTY_KEY_LENGTH]}"
        if len(key) > PROPERTY_KEY_LENGTH:
            yield (
                path,
                "length.max",
                f"key is {len(key)} characters long; at most {PROPERTY_KEY_LENGTH} are accepted",
            )
        yield from _property_value(path, value, 1)


def _property_value(path: str, value: struct_pb2.Value, depth: int) -> Iterator[Problem]:
    kind = value.WhichOneof("kind")
    if kind == "number_value" and not math.isfinite(value.number_value):
        yield (
            path,
            "number.finite",
            f"is {value.number_value}: send a finite number (NaN and Infinity are no JSON)",
        )
    elif kind == "string_value":
        yield from _length(path, value.string_value, PROPERTY_STRING_LENGTH)
    elif kind in ("struct_value", "list_value"):
        if depth >= MAX_CUSTOM_DEPTH:
            yield (path, "depth.max", f"nests deeper than {MAX_CUSTOM_DEPTH} levels")
            return
        children = (
            list(value.struct_value.fields.values())
            if kind == "struct_value"
            else list(value.list_value.values)
        )
        if len(children) > MAX_CUSTOM_PROPERTIES:
            yield (
                path,
                "entries.max",
                f"has {len(children)} entries; at most {MAX_CUSTOM_PROPERTIES} are accepted",
            )
            return
        for child in children:
            yield from _property_value(path, child, depth + 1)


# within_limits' tables, laid out once from the ones above (which stay the single source).
_EVENT_TEXT_PATHS = tuple(path for path in MAX_LENGTH if "." not in path and not path.endswith("[]"))
_event_texts = attrgetter(*_EVENT_TEXT_PATHS)
_EVENT_TEXT_CAPS = tuple(MAX_LENGTH[path] for path in _EVENT_TEXT_PATHS)
_USER_LIST_NAMES = tuple(
    path.removeprefix("user_data.") for path in MAX_ENTRIES if path.startswith("user_data.")
)
_user_lists = attrgetter(*_USER_LIST_NAMES)
_USER_LIST_CAPS = tuple(MAX_ENTRIES[f"user_data.{name}"] for name in _USER_LIST_NAMES)
_DESTINATIONS = MAX_ENTRIES["destinations"]
_DESTINATION_CAP = MAX_LENGTH["destinations[]"]


def _texts_of(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields ``names`` of a message, always as a tuple (``attrgetter`` of one name is not)."""
    if len(names) == 1:
        (name,) = names
        return lambda message: (getattr(message, name),)
    return attrgetter(*names) if names else lambda message: ()


def _user_caps() -> tuple[
    tuple[int, Callable[[Any], tuple[Any, ...]], Callable[[Any], tuple[Any, ...]]], ...
]:
    """user_data's length limits grouped by cap, smallest first: (cap, its string fields, its
    repeated fields whose every entry has that cap)."""
    by_cap: dict[int, list[str]] = {}
    for path, cap in MAX_LENGTH.items():
        if path.startswith("user_data."):
            by_cap.setdefault(cap, []).append(path.removeprefix("user_data."))
    return tuple(
        (
            cap,
            _texts_of([name for name in names if not name.endswith("[]")]),
            _texts_of([name.removesuffix("[]") for name in names if name.endswith("[]")]),
        )
        for cap, names in sorted(by_cap.items())
    )


_USER_CAPS = _user_caps()
_click_texts = attrgetter(
    *(field.name for field in event_pb2.ClickIds.DESCRIPTOR.fields if field.type == field.TYPE_STRING)
)
_content_texts = attrgetter("id", "name", "category", "delivery_category")
_ACTION_SOURCES = frozenset(event_pb2.ActionSource.values())
_CONSENT_STATUSES = frozenset(event_pb2.ConsentStatus.values())


def within_limits(event: event_pb2.ConversionEvent, now: float) -> bool:
    """True when ``event`` breaks none of :func:`limit_problems`' limits (then it has none to
    report); False when it may break one. The same rules, checked without naming anything."""
    if any(map(gt, map(len, _event_texts(event)), _EVENT_TEXT_CAPS)):
        return False
    destinations = event.destinations
    if len(destinations) > _DESTINATIONS or (destinations and max(map(len, destinations)) > _DESTINATION_CAP):
        return False
    user_data = event.user_data
    if any(map(gt, map(len, _user_lists(user_data)), _USER_LIST_CAPS)):
        return False
    # No string is longer in characters than its message is in bytes: one C call clears every
    # cap at or above user_data's size, so a typical event reads only its few short fields.
    size = user_data.ByteSize()
    for cap, texts, lists in _USER_CAPS:
        if size <= cap:
            break
        if max(map(len, chain(texts(user_data), *lists(user_data))), default=0) > cap:
            return False
    click_ids = event.click_ids
    if click_ids.ByteSize() > CLICK_ID_LENGTH and max(map(len, _click_texts(click_ids))) > CLICK_ID_LENGTH:
        return False
    contents = event.contents
    if len(contents) > MAX_ENTRIES["contents"]:
        return False
    for content in contents:
        price = content.item_price
        if (
            max(map(len, _content_texts(content))) > CONTENT_TEXT_LENGTH
            or len(price) > ITEM_PRICE_LENGTH
            or _too_large(price)
            or content.quantity < 0
        ):
            return False
    consent = event.consent
    if (
        event.action_source not in _ACTION_SOURCES
        or consent.ad_user_data not in _CONSENT_STATUSES
        or consent.ad_personalization not in _CONSENT_STATUSES
    ):
        return False
    if event.HasField("event_time") and not _in_range(event.event_time):
        return False
    if click_ids.HasField("click_time"):
        click = click_ids.click_time
        if not _in_range(click) or now - click.seconds > MAX_CLICK_AGE_SECONDS:
            return False
    if _too_large(event.value):
        return False
    return (
        not event.HasField("custom_properties")
        or next(_custom_properties(event.custom_properties), None) is None
    )
