"""One ConversionEvent → LinkedIn's conversion event object and the identifier names it carries. Pure.

This is where raw personal data ends. LinkedIn takes the email only as SHA-256 and the click
id ``li_fat_id`` raw (platforms.md §4.3, §4.4); nothing else personal is sent.

Why no ``userInfo``: LinkedIn's only name fields, ``user.userInfo.firstName``/``lastName``
(with ``countryCode``), must be **plain text** (platforms.md §4.3, §6.4). Whatever ``prepare``
returns is stored in the outbox, and SignalMesh never stores raw names (DESIGN.md §1.2). A name
cannot be sent without being stored first, so ``userInfo`` is not supported at all: matching
relies on the hashed email and ``li_fat_id``. Hashed name fields reported from version 202609
are unconfirmed (§4.3) and not used either.

Why no IP address: ``PLAINTEXT_IP_ADDRESS``/``SHA256_IP_ADDRESS`` appear only in 2026 sources,
IPv4 only, and are marked [Unconfirmed] (§4.3). An idType the pinned version does not know
would fail the event, so the IP is left out until the docs confirm it.
"""

from __future__ import annotations

import re
from typing import Any

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_linkedin import normalize

# The destination setting that maps our event names to LinkedIn conversion rules:
# [destinations.NAME.conversion_rules] Purchase = "123456" arrives as "conversion_rules.Purchase".
CONVERSION_RULES_SETTING = "conversion_rules"
# LinkedIn: conversion = urn:lla:llaPartnerConversion:<ruleId> (platforms.md §4.3).
CONVERSION_URN_PREFIX = "urn:lla:llaPartnerConversion:"
_RULE_ID = re.compile(r"[0-9]+")

# LinkedIn idType names (platforms.md §4.3).
SHA256_EMAIL = "SHA256_EMAIL"
LI_FAT_ID = "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"

# Our identifier vocabulary: what eligibility rules and match quality speak.
EMAIL = "email"
CLICK_ID = "li_fat_id"
CONVERSION_RULE = "conversion_rule"


def conversion_rule_id(destination: kit.Destination, event_name: str) -> str | None:
    """The LinkedIn conversion rule id this destination maps ``event_name`` to, or None.

    LinkedIn puts the conversion type on the rule, not the event (§4.1), so each event name the
    advertiser wants counted needs its own rule. The id may be written bare (``"123456"``) or as
    the full URN; anything else is treated as unmapped rather than sent to fail.
    """
    configured = destination.setting(f"{CONVERSION_RULES_SETTING}.{event_name}").strip()
    rule_id = configured.removeprefix(CONVERSION_URN_PREFIX)
    return rule_id if _RULE_ID.fullmatch(rule_id) else None


def linkedin_event(event: event_pb2.ConversionEvent, destination: kit.Destination) -> kit.PlatformEvent:
    """LinkedIn's event object (an ``elements[i]`` of the batch) and the identifiers present
    (sorted); an unmapped event name leaves out ``conversion``."""
    identifiers: list[str] = []
    user_ids = _user_ids(event.user_data, event.click_ids, identifiers)
    element: dict[str, Any] = {
        # LinkedIn: epoch milliseconds, within the past 90 days (§4.3, §6.2).
        "conversionHappenedAt": event.event_time.seconds * 1000 + event.event_time.nanos // 1_000_000,
        # LinkedIn: userIds must be present even when empty; leaving it out gives a 422 (§4.3).
        "user": {"userIds": user_ids},
    }
    if rule_id := conversion_rule_id(destination, event.event_name):
        element["conversion"] = CONVERSION_URN_PREFIX + rule_id
        identifiers.append(CONVERSION_RULE)
    if event.event_id:
        # LinkedIn: eventId is the dedup key shared with the Insight Tag event (§4.5).
        element["eventId"] = event.event_id
    if value := conversion_value(event):
        element["conversionValue"] = value
    return kit.PlatformEvent(data=element, identifiers=tuple(sorted(identifiers)))


def conversion_value(event: event_pb2.ConversionEvent) -> dict[str, str] | None:
    """``{currencyCode, amount}`` with the amount as the client's exact decimal string.

    LinkedIn: amount is a decimal **string** (§4.3, §6.2). Our wire value already is one, so it
    is passed through untouched (``"29.90"`` stays ``"29.90"``): no float, no rounding.
    """
    amount = event.value.strip()
    currency = event.currency.strip().upper()
    if not amount or not currency:
        return None
    return {"amount": amount, "currencyCode": currency}


def _user_ids(
    user: event_pb2.UserData, click_ids: event_pb2.ClickIds, identifiers: list[str]
) -> list[dict[str, str]]:
    """``user.userIds``: at most one hashed email and the click id, in that order."""
    user_ids: list[dict[str, str]] = []
    # LinkedIn's examples carry one id per idType; several SHA256_EMAIL entries are not
    # documented, so only the first usable email is sent.
    digest = next((d for d in map(normalize.hashed_email, user.emails) if d), None)
    if digest is not None:
        user_ids.append({"idType": SHA256_EMAIL, "idValue": digest})
        identifiers.append(EMAIL)
    if click_id := normalize.li_fat_id(click_ids.li_fat_id):
        user_ids.append({"idType": LI_FAT_ID, "idValue": click_id})
        identifiers.append(CLICK_ID)
    return user_ids
