"""Meta's normalisation rules for customer information, applied before SHA-256. Pure.

Each function takes one raw value and returns the normalised plain text Meta wants hashed, or
None when the value cannot be brought into Meta's format (it is then dropped, never sent
half-right). ``hashed`` wraps them: values that are already SHA-256 digests pass through.

The rules follow Meta's documentation (platforms.md §1.4, source M1 "customer information
parameters"), not the official Python SDK, which is looser: it keeps punctuation in names,
does not reformat dates of birth, does not map state names and never adds a country code to a
phone number (platforms.md §1.5).
"""

from __future__ import annotations

import re

from signalmesh.normalize import geography
from signalmesh.normalize.dates import birth_date
from signalmesh.normalize.phones import to_e164

# Re-exported: the shared hashing rule and the normaliser type are part of this module's API.
from signalmesh.normalize.text import Normaliser as Normaliser
from signalmesh.normalize.text import hashed as hashed
from signalmesh.normalize.text import (
    letters_only,
    nfc_lower,
    without_punctuation,
)

_LOOSE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_US_ZIP = re.compile(r"(\d{5})(?:\d{4})?")


def email(value: str) -> str | None:
    """``em``: trimmed and lower-cased; no provider-specific rewriting."""
    # Meta: trim leading/trailing spaces, lower-case. No gmail dot rule (unlike Google).
    normalised = nfc_lower(value)
    return normalised if _LOOSE_EMAIL.fullmatch(normalised) else None


def phone(value: str, default_region: str | None) -> str | None:
    """``ph``: the international number as digits only, e.g. ``16505551212``.

    ``default_region`` (lower- or upper-case alpha-2, usually the event's country) supplies the
    country code when the client sent a national number such as ``(650)555-1212``.
    """
    # Meta: ph digits only, always with the country code, no '+', no leading zeros. E.164 keeps
    # a meaningful leading zero of the national number (Italy: +39 06…).
    e164 = to_e164(value, default_region)
    return e164.removeprefix("+") if e164 else None


def name(value: str) -> str | None:
    """``fn`` / ``ln``: lower-case, no punctuation or spaces, accents kept, NFC (``O'Brien`` → ``obrien``)."""
    # Meta: fn/ln lower-case, no punctuation; special characters in UTF-8; doc vector "valéry"
    # only matches the NFC (precomposed) form. Meta's own parameter builder
    # (facebook/capi-param-builder, getNormalizedName) also strips whitespace: "John Smith" → "johnsmith".
    normalised = "".join(without_punctuation(nfc_lower(value)).split())
    return normalised or None


def gender(value: str) -> str | None:
    """``ge``: ``f`` or ``m``."""
    # Meta: a single lower-case initial, f or m.
    normalised = nfc_lower(value)
    if normalised in ("f", "female"):
        return "f"
    if normalised in ("m", "male"):
        return "m"
    return None


def date_of_birth(value: str, latest_year: int | None = None) -> str | None:
    """``db``: ``YYYYMMDD`` from any form Meta documents (``1997-02-16``, ``19970216``,
    ``2/16/1997``, ``02-16-1997``, ``02161997``); a real date from 1900 on. Day-first dates are
    never guessed (``signalmesh.normalize.dates``).

    ``latest_year`` is the newest acceptable year (the event's year: nobody is born after it).
    """
    # Meta: db YYYYMMDD, "accommodating a range of month, day and year combinations, with or
    # without punctuation" (doc input 2/16/1997); year 1900 to current year, month 01-12, day
    # 01-31; the normalised value has no punctuation.
    born = birth_date(value, latest_year)
    return born.strftime("%Y%m%d") if born else None


def city(value: str) -> str | None:
    """``ct``: lower-case letters only, accents kept (``New York`` → ``newyork``)."""
    # Meta: ct lower-case, no punctuation, no special characters, no spaces.
    normalised = letters_only(nfc_lower(value))
    return normalised or None


def state(value: str, country: str | None) -> str | None:
    """``st``: US states as their 2-letter code (``California`` → ``ca``); elsewhere letters only."""
    # Meta: st is the 2-letter ANSI code in lower case for the US; elsewhere lower-case with no
    # punctuation, special characters or spaces.
    if country in (None, "us") and (code := geography.us_state_code(value)) is not None:
        return code
    normalised = letters_only(nfc_lower(value))
    return normalised or None


def zip_code(value: str, country: str | None) -> str | None:
    """``zp``: lower-case, no spaces or dashes; a US ZIP+4 keeps its first 5 digits."""
    # Meta: zp lower-case, no spaces, no dash; US: first 5 digits only; UK: "m11ae".
    normalised = "".join(nfc_lower(value).split()).replace("-", "")
    if country in (None, "us") and (match := _US_ZIP.fullmatch(normalised)) is not None:
        return match.group(1)
    return normalised or None


def country(value: str) -> str | None:
    """``country``: lower-case ISO 3166-1 alpha-2 from a code or a name (``United States`` → ``us``)."""
    # Meta: country lower-case ISO 3166-1 alpha-2; send it even when all customers share one.
    return geography.country_code(value)


def external_id(value: str) -> str | None:
    """``external_id``: trimmed, otherwise as the client sent it (Meta: the same format everywhere)."""
    # Meta: external_id hashing is recommended; keep exactly the format the pixel uses, so no
    # case or character changes beyond trimming.
    normalised = value.strip()
    return normalised or None
