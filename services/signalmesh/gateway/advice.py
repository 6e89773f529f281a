"""Match-quality advice for CheckEvent: which identifiers an event lacks, in words, and what
each alone would add to its score at one destination. Pure: the connector prices it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from signalmesh.connector import Connector, MatchQuality
from signalmesh.v1 import event_pb2

# What each connector's identifier keys mean to the person reading the advice; unknown keys are
# shown as they are. Keys are the platforms' own names (Meta's em/ph/fn, TikTok's ttclid, ...).
IDENTIFIER_LABELS: Mapping[str, str] = {
    "em": "a hashed email",
    "email": "a hashed email",
    "ph": "a hashed phone",
    "phone": "a hashed phone",
    "fn": "a first name",
    "ln": "a last name",
    "fn+ln": "first and last name",
    "ge": "gender",
    "db": "date of birth",
    "ct": "city",
    "st": "state",
    "zp": "zip code",
    "country": "country",
    "address": "a postal address",
    "external_id": "your customer id",
    "user_id": "your customer id",
    "fbc": "the click id (fbc or fbclid)",
    "fbp": "the _fbp browser id",
    "ttclid": "the TikTok click id",
    "ttp": "the _ttp browser id",
    "click_id": "a click id",
    "client_id": "the GA client id",
    "client_ip_address": "the client IP address",
    "ip": "the client IP address",
    "client_user_agent": "the browser user agent",
    "user_agent": "the browser user agent",
}


@dataclass(frozen=True, slots=True)
class Advice:
    identifier: str
    score_with: float
    text: str


def advice_text(identifier: str, score: float, score_with: float) -> str:
    """ "add a hashed email (em): 4.1 → 6.6" — what to add, in words, and what it is worth."""
    label = IDENTIFIER_LABELS.get(identifier)
    named = f"{label} ({identifier})" if label else identifier
    return f"add {named}: {score:.1f} → {score_with:.1f}"


def with_identifier(prepared: event_pb2.PreparedEvent, identifier: str) -> event_pb2.PreparedEvent:
    """A copy of ``prepared`` as if it also carried ``identifier`` (to price the advice)."""
    copy = event_pb2.PreparedEvent()
    copy.CopyFrom(prepared)
    copy.identifiers.append(identifier)
    return copy


def advise(connector: Connector, prepared: event_pb2.PreparedEvent, quality: MatchQuality) -> list[Advice]:
    """One piece of advice per missing identifier, most valuable first (by what it alone adds)."""
    priced = [
        (connector.match_quality(with_identifier(prepared, name)).score, name) for name in quality.missing
    ]
    return [
        Advice(identifier, score_with, advice_text(identifier, quality.score, score_with))
        for score_with, identifier in sorted(priced, key=lambda item: -item[0])
    ]
