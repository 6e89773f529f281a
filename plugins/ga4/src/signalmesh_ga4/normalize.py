"""Google's normalisation rules for GA4 ``user_data``, applied before SHA-256 (or instead of it). Pure.

GA4 uses the same normalisation and hashing as Google Ads enhanced conversions (platforms.md
§2A "user_data", §2C). Email, phone and names are hashed; city, region, postal code and country
are sent **unhashed**, normalised. Each function takes one raw value and returns the normalised
text, or None when the value cannot be brought into Google's format (it is then dropped, never
sent half-right). ``hashed`` wraps the hashed ones: values that are already SHA-256 digests pass.
"""

from __future__ import annotations

import unicodedata

from signalmesh.normalize import geography
from signalmesh.normalize.emails import google_email
from signalmesh.normalize.phones import to_e164

# Re-exported: the shared hashing rule and the normaliser type are part of this module's API.
from signalmesh.normalize.text import Normaliser as Normaliser
from signalmesh.normalize.text import hashed as hashed
from signalmesh.normalize.text import is_sha256_hex, nfc, nfc_lower


def email(value: str) -> str | None:
    """Google's rule (``signalmesh.normalize.emails.google_email``): lower-case, no whitespace;
    gmail/googlemail also lose dots and ``+tag``."""
    return google_email(value)


def phone(value: str, default_region: str | None) -> str | None:
    """``sha256_phone_number``: E.164 **with** ``+`` (``+1 800 555 0100`` → ``+18005550100``).

    ``default_region`` (alpha-2, the event's country) supplies the country code of a national
    number such as ``(800) 555-0100``; without it such a number is dropped, never guessed.
    """
    # Google (§2A, §2C): digits only with a '+' prefix, E.164. google-ads-python's sample hashes
    # "+1 800 5550102" with its spaces (§2C, S2): we build E.164 ourselves first.
    return to_e164(value, default_region)


def name(value: str) -> str | None:
    """``sha256_first_name`` / ``sha256_last_name``: no digits or symbols, lower-case, trimmed, NFC.

    ``O'Brien-Smythe`` → ``obriensmythe``; inner spaces are kept, collapsed to one
    (``Mary  Ann`` → ``mary ann``): GA4 says "remove digits and symbols", not spaces.
    """
    # Google (§2A table, G4): first/last name: remove digits and symbols, lower-case, trim.
    # Google (§2C, G10/G4): remove prefixes and suffixes such as "Mrs." or "Jr.".
    words = (_words_only(value) or "").split()
    while len(words) > 1 and words[0] in NAME_PREFIXES:
        words.pop(0)
    while len(words) > 1 and words[-1] in NAME_SUFFIXES:
        words.pop()
    return " ".join(words) or None


# Honorifics and generational/academic suffixes, after punctuation is gone ("Mrs." → "mrs").
# A name made only of one ("Miss" as a first name) is kept: Google says remove, not empty.
NAME_PREFIXES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"})
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "dds"})


def city(value: str) -> str | None:
    """``address.city`` (unhashed): no digits or symbols, lower-case, trimmed.

    ``St. Louis`` → ``st louis``.
    """
    # Google (§2A table): city: remove digits and symbols, lower-case, trim; not hashed.
    return _words_only(value)


def region(value: str) -> str | None:
    """``address.region`` (unhashed): like city (``N.Y.`` → ``ny``, ``California`` → ``california``).

    State names are not turned into codes: GA4 documents no such rule (Meta does, §1.4).
    """
    # Google (§2A table): region: remove digits and symbols, lower-case, trim; not hashed.
    return _words_only(value)


def postal_code(value: str) -> str | None:
    """``address.postal_code`` (unhashed): ``.`` and ``~`` removed, trimmed, case kept."""
    # Google (§2A table): postal_code: remove '.' and '~', trim; not hashed.
    normalised = nfc(value).replace(".", "").replace("~", "").strip()
    return normalised or None


def country(value: str) -> str | None:
    """``address.country`` (unhashed): ISO 3166-1 alpha-2 in upper case (``United States`` → ``US``)."""
    # Google (§2A table, §2C): country: ISO 3166-1 alpha-2, not hashed. The case is not stated;
    # upper case is the ISO spelling and what Google Ads' address examples use.
    code = geography.country_code(value)
    return code.upper() if code else None


def region_for_phone(raw_country: str) -> str | None:
    """The event's country as a phone region, or None when it is absent, unknown or hashed."""
    trimmed = raw_country.strip()
    if not trimmed or is_sha256_hex(trimmed):
        return None
    return geography.country_code(trimmed)


def plain(value: str, normalise: Normaliser) -> str | None:
    """An unhashed address field. A digest cannot be sent where GA4 wants plain text: dropped."""
    trimmed = value.strip()
    if not trimmed or is_sha256_hex(trimmed):
        return None
    return normalise(trimmed)


def _words_only(value: str) -> str | None:
    # Unicode categories: L letters and M combining marks stay; N (digits) P (punctuation) and
    # S (symbols) go; whitespace runs become one space.
    kept = "".join(
        char if unicodedata.category(char)[0] in "LM" else " " if char.isspace() else ""
        for char in nfc_lower(value)
    )
    normalised = " ".join(kept.split())
    return normalised or None
