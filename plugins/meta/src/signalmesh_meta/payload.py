"""One ConversionEvent → Meta's per-event object (``data[i]``) and the identifier names it carries. Pure.

This is where raw personal data ends: every customer-information key leaves here hashed
(platforms.md §1.4), and only the keys Meta wants raw (IP, user agent, fbc, fbp) stay readable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache, partial
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
    seconds = event.event_time.seconds
    data: dict[str, Any] = {
        # Meta standard event names are case-sensitive and match ours (platforms.md §1.15).
        "event_name": event.event_name,
        # Meta: event_time is Unix time in seconds.
        "event_time": seconds,
        # Meta: event_id + event_name is the dedup key shared with the pixel.
        "event_id": event.event_id,
    }
    if (action_source := ACTION_SOURCES.get(event.action_source)) is not None:
        data["action_source"] = action_source
    url = event.event_source_url
    if url:
        data["event_source_url"] = url
    user = data["user_data"] = user_data(
        event.user_data, event.click_ids, _year(seconds) if seconds else None
    )
    if custom := custom_data(event):
        data["custom_data"] = custom

    # user_data holds only USER_DATA_KEYS (never "event_source_url"), each present only when it
    # has a value.
    identifiers = [*user, "event_source_url"] if url else list(user)
    identifiers.sort()
    return kit.PlatformEvent(data=data, identifiers=tuple(identifiers))


@lru_cache(maxsize=512)
def _year_of_day(day: int) -> int:
    return (_EPOCH + timedelta(days=day)).year


def _year(seconds: int) -> int:
    """The UTC year of a Unix time, remembered per day (times, not personal data: one batch's
    events share a few days)."""
    # The year of the whole seconds is the timestamp's year (nanos never cross a new year).
    return _year_of_day(seconds // 86400)


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
    # Each value is set only when it is not empty (``kit.put_present``: platforms refuse empty
    # identifiers), spelt out here because it runs for every event.
    if (emails := user.emails) and (em := kit.hashed_list(emails, normalize.email)):
        result["em"] = em
    if (phones := user.phones) and (
        ph := kit.hashed_list(phones, partial(normalize.phone, default_region=country))
    ):
        result["ph"] = ph
    if (first_name := user.first_name) and (fn := kit.hashed_one(first_name, normalize.name)):
        result["fn"] = fn
    if (last_name := user.last_name) and (ln := kit.hashed_one(last_name, normalize.name)):
        result["ln"] = ln
    if (gender := user.gender) and (ge := kit.hashed_one(gender, normalize.gender)):
        result["ge"] = ge
    if (born := user.date_of_birth) and (
        db := kit.hashed_one(born, partial(normalize.date_of_birth, latest_year=event_year))
    ):
        result["db"] = db
    if (city := user.city) and (ct := kit.hashed_one(city, normalize.city)):
        result["ct"] = ct
    if (state := user.state) and (st := kit.hashed_one(state, partial(normalize.state, country=country))):
        result["st"] = st
    if (zip_code := user.zip) and (
        zp := kit.hashed_one(zip_code, partial(normalize.zip_code, country=country))
    ):
        result["zp"] = zp
    if raw_country and (hashed_country := kit.hashed_one(raw_country, normalize.country)):
        result["country"] = hashed_country
    # Meta recommends hashing external_id; a list is allowed.
    if (external_ids := user.external_ids) and (
        external_id := kit.hashed_list(external_ids, normalize.external_id)
    ):
        result["external_id"] = external_id
    # Meta: client_ip_address, client_user_agent, fbc and fbp are never hashed.
    if ip := user.client_ip_address.strip():
        result["client_ip_address"] = ip
    if user_agent := user.client_user_agent.strip():
        result["client_user_agent"] = user_agent
    if click := fbc(click_ids):
        result["fbc"] = click
    if (raw_fbp := click_ids.fbp) and (browser := cookie(raw_fbp)):
        result["fbp"] = browser
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
