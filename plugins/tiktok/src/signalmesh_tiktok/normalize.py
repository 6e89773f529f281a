"""TikTok's normalisation rules for the ``user`` object, applied before SHA-256. Pure.

Each function takes one raw value and returns the normalised plain text, or None when the value
cannot be brought into TikTok's format (it is then dropped, never sent half-right). ``hashed``
wraps the hashed keys: a value that is already a SHA-256 digest passes through.

Sources (platforms.md §3.2, §6.4): TikTok's sample payload says email, phone and external_id
"must be hashed with SHA-256" [P1]; the shapes (email lower-case, phone E.164 with '+') come from
TikTok's customer-file spec [T3]. The exact Events 2.0 normalisation page could not be read
(§7.1), so the name, zip and place rules follow Segment's connector [3P S3].
"""

from __future__ import annotations

import re

from signalmesh.normalize.geography import country_code
from signalmesh.normalize.phones import to_e164

# Re-exported: the shared hashing rule and the normaliser type are part of this module's API.
from signalmesh.normalize.text import Normaliser as Normaliser
from signalmesh.normalize.text import hashed as hashed
from signalmesh.normalize.text import is_sha256_hex, nfc_lower

_LOOSE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(value: str) -> str | None:
    """``user.email``: trimmed and lower-cased (``John@Example.com `` → ``john@example.com``)."""
    # TikTok: email trim and lower-case; no provider-specific rewriting (§3.2, §6.4, T3).
    normalised = nfc_lower(value)
    return normalised if _LOOSE_EMAIL.fullmatch(normalised) else None


def phone(value: str, default_region: str | None) -> str | None:
    """``user.phone``: E.164 **with** ``+`` and country code, e.g. ``+16505551212``.

    ``default_region`` (the event's country as alpha-2) supplies the country code when the
    client sent a national number such as ``(650) 555-1212``; a number that cannot be made
    international is dropped.
    """
    # TikTok: phone in E.164 with '+' and country code (§3.2, §6.4, T3) — unlike Meta, keep '+'.
    return to_e164(value, default_region)


def external_id(value: str) -> str | None:
    """``user.external_id``: trimmed only, so it hashes like the id the pixel sends.

    Segment also lower-cases it (§3.2); that is Segment's choice, not a documented TikTok rule,
    and lower-casing a case-sensitive id would merge different people.
    """
    normalised = value.strip()
    return normalised or None


def name(value: str) -> str | None:
    """``user.first_name`` / ``last_name``: lower-case, spaces removed (``Mary Ann`` → ``maryann``)."""
    # TikTok via Segment [3P S3]: first_name/last_name lower-case, spaces removed, then SHA-256.
    normalised = "".join(nfc_lower(value).split())
    return normalised or None


def zip_code(value: str) -> str | None:
    """``user.zip_code``: lower-case, spaces removed (``SW1A 1AA`` → ``sw1a1aa``)."""
    # TikTok via Segment [3P S3]: zip_code lower-case, spaces removed, then SHA-256.
    return name(value)


def country(value: str) -> str | None:
    """``user.country``: lower-case ISO 3166-1 alpha-2, sent **raw** (``United States`` → ``us``).

    Segment only strips non-alphanumerics, which would send ``unitedstates``; a name is mapped
    to its code instead, and a value that is neither is dropped.
    """
    # TikTok via Segment [3P S3]: country raw, lower-case; the proto asks for alpha-2 anyway.
    return country_code(value)


def place(value: str) -> str | None:
    """``user.city`` / ``state``: lower-case letters and digits only, sent **raw**.

    ``New York`` → ``newyork``, ``São Paulo`` → ``sãopaulo``. Segment strips everything outside
    ASCII ``[A-Za-z0-9]``, which would turn ``München`` into ``mnchen``; we keep Unicode letters.
    A value that is already a SHA-256 digest is dropped: it would reach TikTok as a "city".
    """
    # TikTok via Segment [3P S3]: city/state non-alphanumerics removed, lower-case, unhashed.
    # A client-hashed value cannot be sent where TikTok wants plain text: dropped, like GA4's.
    if is_sha256_hex(value.strip()):
        return None
    normalised = "".join(char for char in nfc_lower(value) if char.isalnum())
    return normalised or None
