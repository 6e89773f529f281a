"""LinkedIn's rules for the identifiers it takes, applied before anything leaves ``prepare``. Pure.

LinkedIn matches on few identifiers (platforms.md §4.3): a SHA-256 email, the raw ``li_fat_id``
click id, and a few third-party ids SignalMesh does not collect. There is no phone identifier,
and names go only in plain text (``userInfo``), which this connector deliberately never sends
(see ``payload``). Each function returns the value to send, or None when there is nothing
usable: a value is dropped, never sent half-right.
"""

from __future__ import annotations

import re
import unicodedata

from signalmesh.normalize.text import sha256_hex

# Deliberately loose: the gateway already validated the address; this only refuses values
# that normalise to something that cannot be an address at all.
_LOOSE_EMAIL = re.compile(r"[^@]+@[^@]+\.[^@]+")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def is_sha256_hex(value: str) -> bool:
    """Already a SHA-256 digest: 64 hex characters, either case (hex is case-insensitive)."""
    return _SHA256_HEX.fullmatch(value) is not None


def email(value: str) -> str | None:
    """The email as LinkedIn hashes it: lower-cased, with every whitespace character removed.

    LinkedIn: "SHA-256 hex of the lower-cased email with whitespace removed" (platforms.md §4.3,
    §6.4). Whitespace anywhere, not only at the ends, and no provider rewriting (no gmail dot
    rule, unlike Google). NFC first, so a composed and a decomposed accent hash alike.
    """
    without_whitespace = "".join(unicodedata.normalize("NFC", value).split())
    normalised = unicodedata.normalize("NFC", without_whitespace.lower())
    return normalised if _LOOSE_EMAIL.fullmatch(normalised) else None


def hashed_email(value: str) -> str | None:
    """``SHA256_EMAIL``'s idValue: the digest of ``email(value)``; a digest passes through once.

    A client may send an email it hashed itself; hashing it again would match nobody, so a
    64-hex value is only lower-cased (LinkedIn, like every platform, wants lower-case hex).
    """
    trimmed = value.strip()
    if is_sha256_hex(trimmed):
        return trimmed.lower()
    normalised = email(trimmed)
    return sha256_hex(normalised) if normalised else None


def li_fat_id(value: str) -> str | None:
    """``LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID``'s idValue: the click id, raw (platforms.md §4.4).

    It is an opaque id LinkedIn issued, so only surrounding whitespace is removed; its case and
    characters are kept exactly.
    """
    trimmed = value.strip()
    return trimmed or None
