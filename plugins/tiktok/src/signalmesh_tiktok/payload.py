"""One ConversionEvent → TikTok's per-event object (``data[i]``) and the identifier names it carries. Pure.

This is where raw personal data ends: email, phone, external_id, names and zip code leave here
hashed (platforms.md §3.2); only what TikTok wants raw (ttclid, ttp, IP, user agent, and per
Segment city/state/country) stays readable.
"""

from __future__ import annotations

from functools import partial
from types import MappingProxyType
from typing import Any

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_tiktok import normalize

# Our standard names → TikTok's (§3.4, case-sensitive). Purchase goes out as CompletePayment,
# the name TikTok's web pixel fires for a purchase: dedup needs the pixel's own `event` name
# (§3.5). TikTok's newer `Purchase` exists too (§3.4) but most pixels still send CompletePayment.
# Lead keeps TikTok's newer standard `Lead` (not the older SubmitForm). Any other name is sent
# as it is: TikTok records custom events but cannot optimise on them (§3.4).
EVENT_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "Purchase": "CompletePayment",
        "Lead": "Lead",
        "CompleteRegistration": "CompleteRegistration",
        "AddToCart": "AddToCart",
        "InitiateCheckout": "InitiateCheckout",
        "Subscribe": "Subscribe",
        "Contact": "Contact",
        "SubmitApplication": "SubmitApplication",
        "ViewContent": "ViewContent",
    }
)

# Our action_source → TikTok's event_source (§3.2: web, app, offline, crm). Conversions that
# did not happen on a website or in an app are offline; system_generated is what CRM
# integrations send (Meta's lead-ads vocabulary), so it is crm. Unknown values (the gateway
# refuses UNSPECIFIED) go with the pixel's own source, web.
EVENT_SOURCES: MappingProxyType[int, str] = MappingProxyType(
    {
        event_pb2.ACTION_SOURCE_WEBSITE: "web",
        event_pb2.ACTION_SOURCE_APP: "app",
        event_pb2.ACTION_SOURCE_PHYSICAL_STORE: "offline",
        event_pb2.ACTION_SOURCE_PHONE_CALL: "offline",
        event_pb2.ACTION_SOURCE_EMAIL: "offline",
        event_pb2.ACTION_SOURCE_CHAT: "offline",
        event_pb2.ACTION_SOURCE_BUSINESS_MESSAGING: "offline",
        event_pb2.ACTION_SOURCE_OTHER: "offline",
        event_pb2.ACTION_SOURCE_SYSTEM_GENERATED: "crm",
    }
)
DEFAULT_EVENT_SOURCE = "web"

# The identifiers this connector reports, in TikTok's spelling (the eligibility vocabulary).
IDENTIFIER_KEYS = ("email", "phone", "external_id", "ttclid", "ttp", "ip", "user_agent")


def event_name(name: str) -> str:
    return EVENT_NAMES.get(name, name)


def event_source(action_source: int) -> str:
    return EVENT_SOURCES.get(action_source, DEFAULT_EVENT_SOURCE)


def tiktok_event(event: event_pb2.ConversionEvent) -> kit.PlatformEvent:
    """TikTok's ``data[i]`` object and the identifiers present in it (sorted)."""
    data: dict[str, Any] = {
        "event": event_name(event.event_name),
        # TikTok: event_time is Unix time in seconds (§3.2).
        "event_time": event.event_time.seconds,
        # TikTok: pixel + event + event_id is the dedup key shared with the pixel (§3.5).
        "event_id": event.event_id,
        "user": user(event.user_data, event.click_ids),
        # TikTok: limited_data_use is a bool (§3.2). Policy skips DENIED ad_user_data before
        # anything is sent, so this is true only for an event prepared but never sent.
        "limited_data_use": event.consent.ad_user_data == event_pb2.CONSENT_STATUS_DENIED,
    }
    if props := properties(event):
        data["properties"] = props
    if event.event_source_url:
        data["page"] = {"url": event.event_source_url}
    identifiers = tuple(key for key in sorted(IDENTIFIER_KEYS) if key in data["user"])
    return kit.PlatformEvent(data=data, identifiers=identifiers)


def user(user_data: event_pb2.UserData, click_ids: event_pb2.ClickIds) -> dict[str, Any]:
    """TikTok's ``user``: contact data hashed, click/browser ids, IP and user agent raw."""
    # The country also gives a national phone number its country code.
    country = normalize.country(user_data.country) if user_data.country.strip() else None
    result: dict[str, Any] = {}
    # TikTok: email, phone and external_id are SHA-256 hashed, and may be arrays (§3.2, P1).
    kit.put_present(result, "email", kit.hashed_list(user_data.emails, normalize.email))
    kit.put_present(
        result, "phone", kit.hashed_list(user_data.phones, partial(normalize.phone, default_region=country))
    )
    kit.put_present(result, "external_id", kit.hashed_list(user_data.external_ids, normalize.external_id))
    # TikTok: ttclid (URL param) and ttp (_ttp cookie) are sent raw (§3.2, §6.1).
    kit.put_present(result, "ttclid", click_ids.ttclid.strip() or None)
    kit.put_present(result, "ttp", click_ids.ttp.strip() or None)
    kit.put_present(result, "ip", user_data.client_ip_address.strip() or None)
    kit.put_present(result, "user_agent", user_data.client_user_agent.strip() or None)
    # Segment [3P S3]: first_name, last_name, zip_code hashed; city, state, country raw.
    kit.put_present(result, "first_name", kit.hashed_one(user_data.first_name, normalize.name))
    kit.put_present(result, "last_name", kit.hashed_one(user_data.last_name, normalize.name))
    kit.put_present(result, "zip_code", kit.hashed_one(user_data.zip, normalize.zip_code))
    kit.put_present(result, "city", normalize.place(user_data.city))
    kit.put_present(result, "state", normalize.place(user_data.state))
    kit.put_present(result, "country", country)
    return result


# TikTok: contents[] = {content_id, content_type, content_name, content_category, price,
# quantity, brand} (§3.2).
CONTENT_KEYS = MappingProxyType(
    {
        "id": "content_id",
        "quantity": "quantity",
        "item_price": "price",
        "name": "content_name",
        "category": "content_category",
    }
)


def properties(event: event_pb2.ConversionEvent) -> dict[str, Any]:
    """TikTok's ``properties``: the client's custom properties, then our typed fields over them.

    TikTok: value is a number (§3.2), ours is a decimal string; currency is ISO 4217."""
    result = kit.commerce_fields(event, CONTENT_KEYS)
    if event.contents:
        # TikTok: content_type is product or product_group; our contents are single products.
        # content_ids is not sent beside contents (§3.2).
        result["content_type"] = "product"
    return result
