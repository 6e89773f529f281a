"""Google's normalisation rules for the user identifiers of a click conversion, applied before SHA-256. Pure.

Each function takes one raw value and returns the normalised plain text Google wants hashed, or
None when the value cannot be brought into Google's format (it is then dropped, never sent
half-right). ``hashed`` wraps them: values that are already SHA-256 digests pass through.

Click uploads accept only hashed email and hashed phone number (platforms.md §2B), so those are
the only two rules here. They follow the Data Manager API formatting guide (platforms.md §2C,
source G10); where Google's own sources disagree the choice is recorded on the function.
"""

from __future__ import annotations

from signalmesh.normalize.emails import google_email
from signalmesh.normalize.geography import country_code
from signalmesh.normalize.phones import to_e164

# Re-exported: the shared hashing rule and the normaliser type are part of this module's API.
from signalmesh.normalize.text import Normaliser as Normaliser
from signalmesh.normalize.text import hashed as hashed
from signalmesh.normalize.text import is_sha256_hex


def email(value: str) -> str | None:
    """Google's rule (``signalmesh.normalize.emails.google_email``): lower-case, no whitespace;
    gmail/googlemail also lose dots and ``+tag``."""
    return google_email(value)


def phone(value: str, default_region: str | None) -> str | None:
    """E.164 with the leading ``+``, e.g. ``+18005550100``.

    ``default_region`` (alpha-2, usually the event's country) supplies the country code when the
    client sent a national number such as ``(800) 555-0100``.
    """
    # Google: phone in E.164 with a leading '+' (§2C). google-ads-python's normalize_and_hash
    # hashes "+1 800 5550102" with its spaces (§2C, S2): we build E.164 ourselves first.
    return to_e164(value, default_region)


def region(country: str) -> str | None:
    """The region to read national phone numbers in: the event's country as a code or a name
    (``US``, ``United States``); None when it is hashed or unknown."""
    return None if is_sha256_hex(country.strip()) else country_code(country)
