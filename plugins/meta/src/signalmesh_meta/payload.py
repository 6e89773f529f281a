"""One ConversionEvent → Meta's per-event object (``data[i]``) and the identifier names it carries. Pure.

This is where raw personal data ends: every customer-information key leaves here hashed
(platforms.md §1.4), and only the keys Meta wants raw (IP, user agent, fbc, fbp) stay readable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any

from signalmesh.connector import kit
from signalmesh.normalize.text import is_sha256_hex
from signalmesh.v1 import event_pb2

from signalmesh_meta import normalize
from signalmesh_meta.checks import usable_cookie

# Meta: action_source values (platforms.md §1.3). Our enum shares Meta's vocabulary; the table
# keeps a future enum value from reaching Meta as a string it does not know.
ACTION_SOURCES: dict[int, str] = {
    event_pb2.ACTION_SOURCE_WEBSITE: "website",
    event_pb2.ACTION_SOURCE_APP: "app",
    event_pb2.ACTION_SOURCE_EMAIL: "email",
    event_pb2.ACTION_SOURCE_PHONE_CALL: "phone_call",
    event_pb2.ACTION_SOURCE_CHAT: "chat",
    event_pb2.ACTION_SOURCE_PHYSICAL_STORE: "physical_store",
    event_pb2.ACTION_SOURCE_SYSTEM_GENERATED: "system_generated",
    event_pb2.ACTION_SOURCE_BUSINESS_MESSAGING: "business_messaging",
    event_pb2.ACTION_SOURCE_OTHER: "other",
}

_EPOCH = datetime(1970, 1, 1)

# Every user_data key this connector can send, in Meta's spelling.
# fmt: off
USER_DATA_KEYS = (
    "em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id",
    "client_ip_address", "client_user_agent", "fbc", "fbp",
)
# fmt: on


def meta_event(event: event_pb2.ConversionEvent) -> kit.PlatformEvent:
    """Meta's ``data[i]`` object and the identifiers present in it (sorted); the event's own year
    bounds the date of birth."""
    data: dict[str, Any] = {
        # Meta standard event names are case-sensitive and match ours (platforms.md §1.15).
        "event_name": event.event_name,
        # Meta: event_time is Unix time in seconds.
        "event_time": event.event_time.seconds,
        # Meta: event_id + event_name is the dedup key shared with the pixel.
        "event_id": event.event_id,
    }
    if event.action_source in ACTION_SOURCES:
        data["action_source"] = ACTION_SOURCES[event.action_source]
    if event.event_source_url:
        data["event_source_url"] = event.event_source_url
    # The year of the whole seconds is the timestamp's year (nanos never cross a new year).
    seconds = event.event_time.seconds
    event_year = (_EPOCH + timedelta(seconds=seconds)).year if seconds else None
    data["user_data"] = user_data(event.user_data, event.click_ids, event_year)
    if custom := custom_data(event):
        data["custom_data"] = custom

    # user_data holds only USER_DATA_KEYS, each present only when it has a value.
    identifiers = set(data["user_data"])
    if event.event_source_url:
        identifiers.add("event_source_url")
    return kit.PlatformEvent(data=data, identifiers=tuple(sorted(identifiers)))


def user_data(
    user: event_pb2.UserData, click_ids: event_pb2.ClickIds, event_year: int | None
) -> dict[str, Any]:
    """Meta's ``user_data``: customer information hashed, device and click ids raw."""
    raw_country = user.country.strip()
    # The country also decides the phone's country code and the US rules for st and zp.
    # A hashed country cannot be read: treat the country as unknown.
    country = normalize.country(raw_country) if raw_country and not is_sha256_hex(raw_country) else None

    result: dict[str, Any] = {}
    # Fields left empty are skipped before any normaliser is built: most events carry a few.
    if user.emails:
        kit.put_present(result, "em", kit.hashed_list(user.emails, normalize.email))
    if user.phones:
        kit.put_present(
            result, "ph", kit.hashed_list(user.phones, partial(normalize.phone, default_region=country))
        )
    if user.first_name:
        kit.put_present(result, "fn", kit.hashed_one(user.first_name, normalize.name))
    if user.last_name:
        kit.put_present(result, "ln", kit.hashed_one(user.last_name, normalize.name))
    if user.gender:
        kit.put_present(result, "ge", kit.hashed_one(user.gender, normalize.gender))
    if user.date_of_birth:
        kit.put_present(
            result,
            "db",
            kit.hashed_one(user.date_of_birth, partial(normalize.date_of_birth, latest_year=event_year)),
        )
    if user.city:
        kit.put_present(result, "ct", kit.hashed_one(user.city, normalize.city))
    if user.state:
        kit.put_present(result, "st", kit.hashed_one(user.state, partial(normalize.state, country=country)))
    if user.zip:
        kit.put_present(result, "zp", kit.hashed_one(user.zip, partial(normalize.zip_code, country=country)))
    if raw_country:
        kit.put_present(result, "country", kit.hashed_one(raw_country, normalize.country))
    # Meta recommends hashing external_id; a list is allowed.
    if user.external_ids:
        kit.put_present(result, "external_id", kit.hashed_list(user.external_ids, normalize.external_id))
    # Meta: client_ip_address, client_user_agent, fbc and fbp are never hashed.
    kit.put_present(result, "client_ip_address", user.client_ip_address.strip() or None)
    kit.put_present(result, "client_user_agent", user.client_user_agent.strip() or None)
    kit.put_present(result, "fbc", fbc(click_ids))
    kit.put_present(result, "fbp", cookie(click_ids.fbp))
    return result


def cookie(value: str) -> str | None:
    """An ``fbc``/``fbp`` cookie as sent, or None when Meta could not use it: a malformed one
    would get the whole event refused, so it is left out (``checks`` warned at the edge)."""
    stripped = value.strip()
    return stripped if stripped and usable_cookie(stripped) else None


def fbc(click_ids: event_pb2.ClickIds) -> str | None:
    """The ``fbc`` value: the cookie as sent, else built from fbclid and the time it was first seen.

    A malformed cookie is left out (``cookie``). Without ``click_time`` no value is built: an
    invented creation time would misdate the click.
    """
    if click_ids.fbc.strip():
        return cookie(click_ids.fbc)
    fbclid = click_ids.fbclid.strip()
    if not fbclid or not click_ids.HasField("click_time"):
        return None
    first_seen_ms = click_ids.click_time.seconds * 1000 + click_ids.click_time.nanos // 1_000_000
    # Meta: fbc = fb.<subdomainIndex>.<creationTime ms>.<fbclid>; a server uses subdomain index 1
    # and keeps fbclid's case (platforms.md §1.11).
    return f"fb.1.{first_seen_ms}.{fbclid}"


# Meta: contents[] = {id, quantity, item_price, delivery_category}.
CONTENT_KEYS = MappingProxyType(
    {"id": "id", "quantity": "quantity", "item_price": "item_price", "delivery_category": "delivery_category"}
)


def custom_data(event: event_pb2.ConversionEvent) -> dict[str, Any]:
    """Meta's ``custom_data``: the client's custom properties, then our typed fields over them.

    Meta: value is a number (our wire form is an exact decimal string); currency is ISO 4217,
    the docs show both cases, upper case is the ISO spelling."""
    return kit.commerce_fields(event, CONTENT_KEYS)
