"""One ConversionEvent → Google's ``ClickConversion`` object and the identifier names it carries. Pure.

This is where raw personal data ends: emails and phones leave here as SHA-256 digests in
``userIdentifiers`` (platforms.md §2B, §2C); click ids stay raw, as Google requires. JSON names
are lowerCamelCase, the REST spelling of the proto fields.
"""

from __future__ import annotations

from datetime import UTC
from functools import partial
from itertools import zip_longest
from typing import Any

from google.protobuf import timestamp_pb2
from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_google_ads import normalize

# Google Ads: at most one of gclid / gbraid / wbraid per conversion (§2B). When a client sends
# several we send the first of this order: gclid names the exact click (and the samples say it
# excludes both braids); wbraid is for web conversions from iOS clicks, gbraid for app
# conversions, and our events are server-side web or offline conversions far more often.
CLICK_ID_PRECEDENCE = ("gclid", "wbraid", "gbraid")
# Google Ads: at most 5 user identifiers per conversion (§2B).
MAX_USER_IDENTIFIERS = 5
_CONSENT = {event_pb2.CONSENT_STATUS_GRANTED: "GRANTED", event_pb2.CONSENT_STATUS_DENIED: "DENIED"}


def click_conversion(
    event: event_pb2.ConversionEvent, customer_id: str, conversion_action_id: str | None
) -> kit.PlatformEvent:
    """Google's ``ClickConversion`` and the identifiers present in it (sorted); without a
    conversion action the object lacks one and policy skips it."""
    data: dict[str, Any] = {"conversionDateTime": conversion_date_time(event.event_time)}
    identifiers: list[str] = []
    if conversion_action_id is not None:
        # Google Ads: resource name customers/{cid}/conversionActions/{id} (§2B).
        data["conversionAction"] = f"customers/{customer_id}/conversionActions/{conversion_action_id}"
        identifiers.append("conversion_action")
    if (chosen := click_id(event.click_ids)) is not None:
        kind, value = chosen
        data[kind] = value
        identifiers += [kind, "click_id"]
    user_identifiers, kinds = hashed_user_identifiers(event.user_data)
    if user_identifiers:
        data["userIdentifiers"] = user_identifiers
        identifiers += kinds
    if (amount := kit.json_number(event.value)) is not None:
        # Google Ads: conversion_value is a double; our wire form is an exact decimal string.
        data["conversionValue"] = amount
    if event.currency.strip():
        # Google Ads: currency_code is ISO 4217, upper case (§6.2).
        data["currencyCode"] = event.currency.strip().upper()
    if event.order_id.strip():
        # Google Ads: order_id is usable once per conversion action, so it is the dedup key (§2B).
        data["orderId"] = event.order_id.strip()
    if event.consent.ad_user_data in _CONSENT:
        # Google Ads: consent.ad_user_data GRANTED or DENIED, needed for EEA users (§2B).
        data["consent"] = {"adUserData": _CONSENT[event.consent.ad_user_data]}
    return kit.PlatformEvent(data=data, identifiers=tuple(sorted(identifiers)))


def conversion_date_time(event_time: timestamp_pb2.Timestamp) -> str:
    """``yyyy-mm-dd hh:mm:ss+00:00`` in UTC: Google requires the offset (§2B, §6.2).

    Sub-second digits are dropped, so one event always gives the same text: with the click it is
    Google's duplicate key (CLICK_CONVERSION_ALREADY_EXISTS), and a retry must hit it.
    """
    moment = event_time.ToDatetime(tzinfo=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S+00:00")


def click_id(click_ids: event_pb2.ClickIds) -> tuple[str, str] | None:
    """The one click id to send, as (field name, value), by ``CLICK_ID_PRECEDENCE``."""
    for kind in CLICK_ID_PRECEDENCE:
        if value := getattr(click_ids, kind).strip():
            return kind, value
    return None


def hashed_user_identifiers(user: event_pb2.UserData) -> tuple[list[dict[str, str]], list[str]]:
    """Up to five ``UserIdentifier`` objects, one kind each, and the kinds present ("email", "phone").

    Emails and phones alternate (email, phone, email, …) so that with many of one kind the cap
    never drops the other kind entirely.
    """
    emails = kit.hashed_list(user.emails, normalize.email)
    # The event's country supplies the country code of a national phone number.
    in_country = partial(normalize.phone, default_region=normalize.region(user.country))
    phones = kit.hashed_list(user.phones, in_country)
    # Google Ads: each UserIdentifier is a oneof, one kind per identifier (§2B). FIRST_PARTY: the
    # advertiser collected this data itself, as in Google's ECL sample (S2).
    identifiers: list[dict[str, str]] = []
    for email_digest, phone_digest in zip_longest(emails, phones):
        if email_digest:
            identifiers.append({"hashedEmail": email_digest, "userIdentifierSource": "FIRST_PARTY"})
        if phone_digest:
            identifiers.append({"hashedPhoneNumber": phone_digest, "userIdentifierSource": "FIRST_PARTY"})
    identifiers = identifiers[:MAX_USER_IDENTIFIERS]
    kinds = sorted({"email" if "hashedEmail" in identifier else "phone" for identifier in identifiers})
    return identifiers, kinds
