"""The raw personal values of sample events, and a search for them in what a connector sends.

DESIGN.md §1.2: after ``prepare`` raw emails, phones and names exist nowhere. The conformance
suite derives every form a leak could take (as given, lower-cased, phone digits with and
without '+', JSON-escaped, percent-encoded) and searches prepared events and requests for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import quote, quote_plus

from signalmesh.normalize.geography import country_code
from signalmesh.normalize.phones import to_e164
from signalmesh.normalize.text import digits_only, is_sha256_hex
from signalmesh.v1 import event_pb2

# Shorter values ("Al", "Li", "Ng") occur by chance inside other text; the sample events a
# connector's tests provide should use longer ones (the suite asserts at least one remains).
MIN_SEARCHABLE_LENGTH = 4


def personal_values(events: Iterable[event_pb2.ConversionEvent]) -> frozenset[str]:
    """Every raw form of the personal data in ``events`` that must never leave ``prepare``.

    Values that are already SHA-256 digests are left out: passing them through is the rule.
    """
    values: set[str] = set()
    for event in events:
        user = event.user_data
        region = country_code(user.country) if user.country.strip() else None
        for email in user.emails:
            values |= _as_given_and_lower(email)
        for phone in user.phones:
            digits = digits_only(phone)
            values |= {digits, f"+{digits}"}
            if e164 := to_e164(phone, region):
                values |= {e164, e164.removeprefix("+")}
        for text in (user.first_name, user.last_name, user.city, *user.external_ids):
            values |= _as_given_and_lower(text)
    return frozenset(
        value for value in values if len(value) >= MIN_SEARCHABLE_LENGTH and not is_sha256_hex(value)
    )


def encodings(value: str) -> frozenset[str]:
    """How ``value`` can appear in a body, URL or header, lower-cased: as text, JSON-escaped
    (``ensure_ascii``), percent-encoded (paths and query strings) and form-encoded."""
    lowered = value.lower()
    return frozenset(
        {
            lowered,
            json.dumps(lowered)[1:-1],
            json.dumps(lowered, ensure_ascii=False)[1:-1],
            quote(lowered, safe="").lower(),
            quote_plus(lowered, safe="").lower(),
        }
    )


def find_leaks(places: Mapping[str, bytes | str], values: Iterable[str]) -> list[str]:
    """``"<place> contains '<value>'"`` for every personal value found in any place (case-insensitive)."""
    # Case-insensitive, so "Jane@X.com" and "jane@x.com" are one value to search for.
    searched = {value.lower(): encodings(value) for value in sorted(values, key=str.lower)}
    leaks: list[str] = []
    for place, content in places.items():
        text = _text(content)
        leaks += [
            f"{place} contains {value!r}"
            for value, forms in searched.items()
            if any(form in text for form in forms)
        ]
    return leaks


def sha256_digests_in(content: bytes | str) -> Iterator[str]:
    """The 64-hex strings found in ``content`` (JSON string values or bare tokens)."""
    text = _text(content)
    token = []
    for char in text + " ":
        if char in "0123456789abcdef":
            token.append(char)
            continue
        if len(token) == 64:
            yield "".join(token)
        token = []


def _as_given_and_lower(value: str) -> set[str]:
    trimmed = value.strip()
    return {trimmed, trimmed.lower()} if trimmed else set()


def _text(content: bytes | str) -> str:
    raw = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    return raw.lower()
