"""The webhook's hashing rules for personal data: one documented form per identifier, then SHA-256. Pure.

A webhook receiver joins our digests with its own customer table, so the rules must be simple
enough to reproduce anywhere (README "Hashing rules"): emails trimmed and lower-cased, phones in
E.164 with the '+', external ids trimmed with their case kept. A value that cannot be brought
into its form is dropped, never sent half-right; a value that is already a SHA-256 digest is
passed through (lower-cased), never hashed twice.
"""

from __future__ import annotations

import re

from signalmesh.normalize.geography import country_code
from signalmesh.normalize.phones import to_e164

# Re-exported: the shared hashing rule and the normaliser type are part of this module's API.
from signalmesh.normalize.text import Normaliser as Normaliser
from signalmesh.normalize.text import hashed as hashed
from signalmesh.normalize.text import nfc, nfc_lower

_LOOSE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(value: str) -> str | None:
    """Trimmed, lower-cased (Unicode NFC); no provider rules such as Gmail's dots."""
    normalised = nfc_lower(value)
    return normalised if _LOOSE_EMAIL.fullmatch(normalised) else None


def phone(value: str, country: str | None = None) -> str | None:
    """E.164 with the '+' (``+16505551212``); ``country`` (code or name) supplies the country
    code of a national number. A number whose country cannot be known is dropped."""
    region = country_code(country) if country and country.strip() else None
    return to_e164(value, region)


def external_id(value: str) -> str | None:
    """Trimmed (NFC), case kept: ids such as ``User-42`` are case-sensitive in the receiver's CRM."""
    normalised = nfc(value.strip())
    return normalised or None
