"""Hypothesis strategies for hostile ConversionEvents: extreme numbers, strings, enums and
timestamps, mixed with plausible values so that some events get past validation to the connectors."""

from __future__ import annotations

import time

from google.protobuf import struct_pb2
from hypothesis import strategies as st
from signalmesh.v1 import event_pb2

_NOW = int(time.time())
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
# Plausible and extreme values (long, control characters, 310 digits), then any short text.
TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "Purchase",
            "jane.doe@example.com",
            "+16505551212",
            "US",
            "29.99",
            "ü",
            "\x00",
            "\u202e",
            "😀",
            *("a" * 41, "a" * 300, "x" * 5000, "1" + "0" * 309, "NaN", "-inf", "https://x.example/?e=a@b.co"),
        ]
    ),
    st.text(max_size=24),
)
AMOUNT = st.one_of(
    st.sampled_from(
        ["", "0", "29.99", "1" + "0" * 309, "1e309", "NaN", "-1", "0.001", "1" * 16, "9" * 15 + ".99"]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    TEXT,
)
SECONDS = st.one_of(
    st.integers(min_value=_NOW - 10 * 86_400, max_value=_NOW + 60),
    st.sampled_from([0, -62_135_596_801, 253_402_300_800, 2**62, -(2**62)]),
    INT64,
)
NANOS = st.one_of(st.just(0), st.integers(min_value=0, max_value=999_999_999), INT32)
ENUM = st.one_of(st.integers(min_value=0, max_value=9), INT32)
NUMBER = st.floats(allow_nan=True, allow_infinity=True)
JSON_LEAF = st.one_of(NUMBER, TEXT, st.booleans(), st.none())


def _struct_value(draw_from: object) -> struct_pb2.Value:
    value = struct_pb2.Value()
    if isinstance(draw_from, bool):
        value.bool_value = draw_from
    elif draw_from is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(draw_from, float):
        value.number_value = draw_from
    elif isinstance(draw_from, str):
        value.string_value = draw_from
    elif isinstance(draw_from, list):
        value.list_value.values.extend(_struct_value(item) for item in draw_from)
    else:
        assert isinstance(draw_from, dict)
        for key, item in draw_from.items():
            value.struct_value.fields[key].CopyFrom(_struct_value(item))
    return value


PROPERTIES = st.dictionaries(
    TEXT,
    st.recursive(
        JSON_LEAF,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)


def _valid_event(event_id: str) -> event_pb2.ConversionEvent:
    event = event_pb2.ConversionEvent(
        event_id=event_id,
        event_name="Purchase",
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="29.99",
        currency="USD",
    )
    event.event_time.FromSeconds(_NOW - 60)
    event.user_data.emails.append("jane.doe@example.com")
    event.user_data.phones.append("+1 650 555 1212")
    event.user_data.client_ip_address = "203.0.113.9"
    event.user_data.client_user_agent = "Mozilla/5.0 (fuzz)"
    event.click_ids.fbclid = "IwAR0fuzz"
    event.click_ids.gclid = "Cj0KCQfuzz"
    event.click_ids.click_time.FromSeconds(_NOW - 3600)
    event.contents.add(id="sku-1", quantity=2, item_price="9.99", name="Socks")
    return event


_USER_TEXT = ("first_name", "last_name", "gender", "date_of_birth", "city", "state", "zip", "country")
_USER_TEXT += ("client_ip_address", "client_user_agent")
_CLICK_TEXT = (
    "fbclid",
    "fbc",
    "fbp",
    "gclid",
    "wbraid",
    "gbraid",
    "ga_client_id",
    "ttclid",
    "ttp",
    "li_fat_id",
)
_STAMP = st.tuples(SECONDS, NANOS)
_EMAILS = st.one_of(
    st.lists(TEXT, max_size=3), st.integers(0, 30).map(lambda n: [f"u{i}@example.com" for i in range(n)])
)
_CONTENTS = st.lists(st.tuples(TEXT, st.one_of(st.just(1), INT32), AMOUNT), max_size=3)
# Each mutation: a field and the strategy of the (often hostile) value it gets.
MUTATIONS: dict[str, st.SearchStrategy[object]] = {
    "event_id": TEXT,
    "event_name": TEXT,
    "action_source": ENUM,
    "event_source_url": TEXT,
    "value": AMOUNT,
    "currency": TEXT,
    "order_id": TEXT,
    "test_mode": st.booleans(),
    "event_time": st.one_of(st.none(), _STAMP),
    "click_ids.click_time": st.one_of(st.none(), _STAMP),
    "click_ids.ga_engagement_time_msec": INT64,
    "user_data.emails": _EMAILS,
    "user_data.phones": st.lists(TEXT, max_size=3),
    "user_data.external_ids": st.lists(TEXT, max_size=3),
    "contents": _CONTENTS,
    "consent": st.tuples(ENUM, ENUM),
    "custom_properties": PROPERTIES,
    "destinations": st.lists(st.one_of(st.sampled_from(["meta", "ga4", "nowhere"]), TEXT), max_size=3),
    **{f"user_data.{name}": TEXT for name in _USER_TEXT},
    **{f"click_ids.{name}": TEXT for name in _CLICK_TEXT},
}


def _apply(event: event_pb2.ConversionEvent, path: str, value: object) -> None:
    owner_name, _, name = path.rpartition(".")
    owner = getattr(event, owner_name) if owner_name else event
    if name in ("event_time", "click_time"):
        owner.ClearField(name)
        if value is not None:
            seconds, nanos = value  # type: ignore[misc]
            getattr(owner, name).seconds, getattr(owner, name).nanos = seconds, nanos
    elif name == "contents":
        del event.contents[:]
        for item_id, quantity, price in value:  # type: ignore[attr-defined]
            event.contents.add(id=item_id, quantity=quantity, item_price=price)
    elif name == "consent":
        event.consent.ad_user_data, event.consent.ad_personalization = value  # type: ignore[misc]
    elif name == "custom_properties":
        event.ClearField("custom_properties")
        for key, item in value.items():  # type: ignore[attr-defined]
            event.custom_properties.fields[key].CopyFrom(_struct_value(item))
    elif isinstance(value, list):
        del getattr(owner, name)[:]
        getattr(owner, name).extend(value)
    else:
        setattr(owner, name, value)


@st.composite
def conversion_events(draw: st.DrawFn) -> event_pb2.ConversionEvent:
    """A valid Purchase (or an empty event) with up to eight fields given hostile values: most
    stay close enough to valid that the connectors' prepare and build see extreme values too."""
    event = _valid_event("fuzz-1") if draw(st.integers(0, 3)) else event_pb2.ConversionEvent()
    for path in draw(st.lists(st.sampled_from(sorted(MUTATIONS)), max_size=8, unique=True)):
        _apply(event, path, draw(MUTATIONS[path]))
    return event
