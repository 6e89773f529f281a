"""One ConversionEvent → the webhook's per-event JSON object and the identifiers it carries. Pure.

The object is documented field by field in the README ("Payload"): a receiver's schema is built
from it, so a field never changes meaning. Personal data leaves here only as SHA-256 digests;
click ids stay raw because they are what ad platforms match on.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from google.protobuf import json_format
from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_webhook import normalize

# Identifier names, the vocabulary of the eligibility rules and of PreparedEvent.identifiers.
EMAIL, PHONE, EXTERNAL_ID, CLICK_ID = "email", "phone", "external_id", "click_id"

# Ad click ids (the ones a platform attributes a conversion to), in the README's order.
CLICK_ID_FIELDS = ("fbc", "fbclid", "gclid", "wbraid", "gbraid", "ttclid", "li_fat_id")


def webhook_event(event: event_pb2.ConversionEvent) -> kit.PlatformEvent:
    """The per-event JSON object as plain data, and the identifiers present in it (sorted)."""
    data: dict[str, Any] = {
        "event_id": event.event_id,
        "event_name": event.event_name,
        # RFC 3339 in UTC ("2026-11-20T12:00:00Z"): readable in any warehouse, exact to the ns.
        "event_time": event.event_time.ToJsonString(),
        "test_mode": event.test_mode,
    }
    if event.action_source != event_pb2.ACTION_SOURCE_UNSPECIFIED:
        data["action_source"] = action_source_name(event.action_source)
    if event.value.strip():
        # The exact decimal string, never a float: 0.1 + 0.2 must not reach a ledger as 0.30000000000000004.
        data["value"] = event.value.strip()
    if event.currency.strip():
        data["currency"] = event.currency.strip().upper()
    if event.order_id:
        data["order_id"] = event.order_id

    user = user_data(event.user_data)
    if user:
        data["user_data"] = user
    clicks = click_ids(event.click_ids)
    if clicks:
        data["click_ids"] = clicks
    if consent := consent_of(event.consent):
        data["consent"] = consent
    if event.custom_properties.fields:
        data["properties"] = json_format.MessageToDict(event.custom_properties)

    identifiers = {name for name, key in _IDENTIFIER_KEYS if key in user}
    if any(field in clicks for field in CLICK_ID_FIELDS):
        identifiers.add(CLICK_ID)
    return kit.PlatformEvent(data=data, identifiers=tuple(sorted(identifiers)))


def user_data(user: event_pb2.UserData) -> dict[str, list[str]]:
    """Digests only: ``email_sha256``, ``phone_sha256``, ``external_id_sha256`` (lists)."""
    result: dict[str, list[str]] = {}
    digests = {
        "email_sha256": kit.hashed_list(user.emails, normalize.email),
        # The event's country supplies the country code of a national number.
        "phone_sha256": kit.hashed_list(user.phones, partial(normalize.phone, country=user.country)),
        "external_id_sha256": kit.hashed_list(user.external_ids, normalize.external_id),
    }
    for key, values in digests.items():
        if values:
            result[key] = values
    return result


def click_ids(clicks: event_pb2.ClickIds) -> dict[str, str]:
    """Click ids as the client sent them (trimmed), and when the click was first seen."""
    result = {field: getattr(clicks, field).strip() for field in CLICK_ID_FIELDS}
    result = {field: value for field, value in result.items() if value}
    if result and clicks.HasField("click_time"):
        result["click_time"] = clicks.click_time.ToJsonString()
    return result


def consent_of(consent: event_pb2.Consent) -> dict[str, str]:
    """``{"ad_user_data": "granted", "ad_personalization": "denied"}``; unspecified is left out."""
    statuses = {"ad_user_data": consent.ad_user_data, "ad_personalization": consent.ad_personalization}
    return {
        key: event_pb2.ConsentStatus.Name(status).removeprefix("CONSENT_STATUS_").lower()
        for key, status in statuses.items()
        if status != event_pb2.CONSENT_STATUS_UNSPECIFIED
    }


def action_source_name(action_source: int) -> str:
    """``ACTION_SOURCE_PHYSICAL_STORE`` → ``physical_store``; an unknown number stays a number."""
    try:
        return event_pb2.ActionSource.Name(action_source).removeprefix("ACTION_SOURCE_").lower()
    except ValueError:
        return str(action_source)


_IDENTIFIER_KEYS = (
    (EMAIL, "email_sha256"),
    (PHONE, "phone_sha256"),
    (EXTERNAL_ID, "external_id_sha256"),
)
