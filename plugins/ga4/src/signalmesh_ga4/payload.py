"""One ConversionEvent → GA4's event object plus the request-level fields it must travel with. Pure.

GA4 puts the person at the **request** level: one ``client_id``, ``user_id``, ``user_data`` and
``consent`` per request, shared by up to 25 events (platforms.md §2A "Body"). So the prepared
payload is ``{"event": {...}, "request": {...}}``: ``event`` is the ``events[i]`` object,
``request`` the request-level part. ``batching`` puts events with byte-identical request parts
into one request. This is also where raw personal data ends: email, phone and names leave here
hashed; city, region, postal code and country unhashed, as GA4 requires (§2A table).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

from google.protobuf import json_format
from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_ga4 import names, normalize

# GA4: string param values at most 100 characters (§2A); a longer event id is not sent as a param.
MAX_PARAM_VALUE_LENGTH = 100
# GA4: sha256_email_address[] and sha256_phone_number[] take up to 3 values each (§2A, G4).
MAX_HASHED_VALUES = 3
# The _ga cookie is GA1.1.<random>.<timestamp>; the client id is its last two parts (§2A, §6.1).
_GA_COOKIE = re.compile(r"GA\d+\.\d+\.(\d+\.\d+)")
# "+1 (650) 555-1212": an international phone number. Plain digits stay (numeric CRM ids).
_PHONE_LIKE = re.compile(r"\+[\d\s().-]{7,}")
_CONSENT = {event_pb2.CONSENT_STATUS_GRANTED: "GRANTED", event_pb2.CONSENT_STATUS_DENIED: "DENIED"}


def ga4_payload(event: event_pb2.ConversionEvent, event_names: Mapping[str, str]) -> kit.PlatformEvent:
    """``{"event": GA4's events[i] object, "request": its request-level part}`` and the
    identifiers present (sorted); ``event_names`` are the destination's name overrides."""
    name = names.ga4_event_name(event.event_name, event_names)
    ga4_event: dict[str, Any] = {"name": name, "params": params(event, name)}
    if event.HasField("event_time"):
        # GA4: timestamp_micros is Unix time in microseconds; the event-level one overrides the
        # request's (§2A "Timestamps"), so each event keeps its own time in a shared request.
        time = event.event_time
        ga4_event["timestamp_micros"] = time.seconds * 1_000_000 + time.nanos // 1_000

    request: dict[str, Any] = {}
    identifiers: set[str] = set()
    if client_id := ga_client_id(event.click_ids.ga_client_id):
        request["client_id"] = client_id
        identifiers.add("client_id")
    if user_id := ga_user_id(event.user_data.external_ids):
        request["user_id"] = user_id
        identifiers.add("user_id")
    if user := user_data(event.user_data):
        request["user_data"] = user
        identifiers |= {key for key, field in _USER_DATA_IDENTIFIERS if field in user}
        # City, region, postal code and country alone identify nobody: "address" counts only
        # with a hashed name in it.
        if any(_HASHED_NAME_KEYS & entry.keys() for entry in user.get("address", [])):
            identifiers.add("address")
    if consent := consent_settings(event.consent):
        request["consent"] = consent
    return kit.PlatformEvent({"event": ga4_event, "request": request}, tuple(sorted(identifiers)))


_USER_DATA_IDENTIFIERS = (
    ("email", "sha256_email_address"),
    ("phone", "sha256_phone_number"),
)
_HASHED_NAME_KEYS = frozenset({"sha256_first_name", "sha256_last_name"})


def ga_user_id(external_ids: Iterable[str]) -> str | None:
    """GA4's ``user_id``: the first external id, sent raw, unless it looks like contact data.

    GA4 sends ``user_id`` unhashed (§2A, §6.4 "GA4 user_id raw"), and Google's policy forbids
    personal data in it: an id with an '@' (an email) or shaped like an international phone
    number (``+`` and digits) is never sent rather than leak it in the clear.
    """
    for raw in external_ids:
        user_id = raw.strip()
        if not user_id:
            continue
        if "@" in user_id or _PHONE_LIKE.fullmatch(user_id):
            return None
        return user_id
    return None


def ga_client_id(raw: str) -> str | None:
    """The GA4 client id; a whole ``_ga`` cookie value (``GA1.1.<random>.<ts>``) is cut to its id."""
    trimmed = raw.strip()
    match = _GA_COOKIE.fullmatch(trimmed)
    return match.group(1) if match else trimmed or None


def params(event: event_pb2.ConversionEvent, ga4_name: str) -> dict[str, Any]:
    """GA4's ``params`` of an event named ``ga4_name``: custom properties, then our fields over them."""
    result = {
        key: value
        for key, value in json_format.MessageToDict(event.custom_properties).items()
        if names.is_valid_param_name(key) and _is_scalar(value)
    }
    if len(event.event_id) <= MAX_PARAM_VALUE_LENGTH:
        # Not a GA4 field: it ties the GA4 event (BigQuery export, DebugView) to our event id.
        result["event_id"] = event.event_id
    if event.order_id:
        result["transaction_id"] = event.order_id
    elif ga4_name == "purchase":
        # GA4: purchase requires transaction_id (§2A, G5). Without an order id the event id
        # stands in: it is unique per conversion, which is what GA4 needs the id for.
        result["transaction_id"] = event.event_id
    if (value := kit.json_number(event.value)) is not None:
        result["value"] = value
    if event.currency.strip():
        # GA4: currency ISO 4217, required whenever value is set (§2A, §6.2).
        result["currency"] = event.currency.strip().upper()
    if items := [item for content in event.contents if (item := _item(content))]:
        result["items"] = items
    click_ids = event.click_ids
    # GA4: session_id and engagement_time_msec put the event into the user's session and
    # Realtime (§2A, G2, G3); only the browser knows them, so they are sent only when given.
    if session_id := click_ids.ga_session_id.strip():
        result["session_id"] = session_id
    if click_ids.ga_engagement_time_msec > 0:
        result["engagement_time_msec"] = click_ids.ga_engagement_time_msec
    return result


def user_data(user: event_pb2.UserData) -> dict[str, Any]:
    """GA4's ``user_data``: hashed email, phone and names; unhashed city, region, postal code, country."""
    region = normalize.region_for_phone(user.country)
    result: dict[str, Any] = {}
    emails = kit.hashed_list(user.emails, normalize.email)
    phones = kit.hashed_list(user.phones, partial(normalize.phone, default_region=region))
    if emails:
        result["sha256_email_address"] = emails[:MAX_HASHED_VALUES]
    if phones:
        result["sha256_phone_number"] = phones[:MAX_HASHED_VALUES]
    address = {
        key: value
        for key, value in (
            ("sha256_first_name", kit.hashed_one(user.first_name, normalize.name)),
            ("sha256_last_name", kit.hashed_one(user.last_name, normalize.name)),
            ("city", normalize.plain(user.city, normalize.city)),
            ("region", normalize.plain(user.state, normalize.region)),
            ("postal_code", normalize.plain(user.zip, normalize.postal_code)),
            ("country", normalize.plain(user.country, normalize.country)),
        )
        if value
    }
    if address:
        # GA4: address[] takes up to 2 entries (§2A); ours has one.
        result["address"] = [address]
    return result


def consent_settings(consent: event_pb2.Consent) -> dict[str, str]:
    """GA4's ``consent``: only the settings the client gave, as GRANTED or DENIED (§2A)."""
    result = {}
    if consent.ad_user_data in _CONSENT:
        result["ad_user_data"] = _CONSENT[consent.ad_user_data]
    if consent.ad_personalization in _CONSENT:
        result["ad_personalization"] = _CONSENT[consent.ad_personalization]
    return result


# GA4: items[] = {item_id, item_name, item_category, price, quantity}.
_ITEM_KEYS = MappingProxyType(
    {
        "id": "item_id",
        "name": "item_name",
        "category": "item_category",
        "quantity": "quantity",
        "item_price": "price",
    }
)


def _item(content: event_pb2.Content) -> dict[str, Any] | None:
    # GA4: each item needs an item_id or an item_name (G5), so one with neither is left out.
    if not content.id and not content.name:
        return None
    return kit.content_item(content, _ITEM_KEYS)


def _is_scalar(value: Any) -> bool:
    # GA4 param values are strings or numbers; lists, objects and booleans have no GA4 form.
    return isinstance(value, str | int | float) and not isinstance(value, bool)
