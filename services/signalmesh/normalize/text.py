"""Text building blocks every connector's normalisers compose: Unicode NFC, character classes,
SHA-256. No platform rule lives here; each connector's own rules stay in its normalize module."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

# A connector's rule for one field: raw text → its normalised form, or None to drop the value.
Normaliser = Callable[[str], str | None]

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes, as lower-case hex (the form every ad platform expects)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_sha256_hex(value: str) -> bool:
    """True when ``value`` is already a SHA-256 digest: 64 hex characters, nothing else.

    Hex is case-insensitive, so an upper-case digest is still a digest; callers lower-case it
    rather than hash it a second time (a double hash never matches anyone).
    """
    # The length first: nearly every value asked about is raw, and no other length is a digest.
    return len(value) == 64 and _SHA256_HEX.fullmatch(value) is not None


def hashed(value: str, normalise: Normaliser) -> str | None:
    """SHA-256 (lower-case hex) of ``normalise(value)``; a value that already is a digest passes
    through lower-cased (a hash hashed twice matches nobody); None when the rule drops it."""
    trimmed = value.strip()
    if is_sha256_hex(trimmed):
        return trimmed.lower()
    normalised = normalise(trimmed)
    return sha256_hex(normalised) if normalised else None


def nfc(text: str) -> str:
    """Unicode NFC: ``é`` as one code point, so the same name always hashes the same way."""
    return unicodedata.normalize("NFC", text)


def nfc_lower(text: str) -> str:
    """Trimmed, lower-cased, NFC. ``str.lower`` rather than ``casefold``: ``ß`` must stay ``ß``."""
    if text.isascii():  # ASCII is its own NFC, and lower-cases to ASCII: most values, every event
        return text.strip().lower()
    return nfc(nfc(text.strip()).lower())


def without_punctuation(text: str) -> str:
    """``text`` without Unicode punctuation (P*) and symbols (S*); letters, digits, spaces kept."""
    if text.isascii():
        return text.translate(_NO_ASCII_PUNCTUATION)
    return "".join(char for char in text if unicodedata.category(char)[0] not in "PS")


def letters_only(text: str) -> str:
    """Only the letters (L*) and combining marks (M*) of ``text``: no digits, spaces or punctuation."""
    if text.isascii():
        return text.translate(_ASCII_LETTERS_ONLY)
    return "".join(char for char in text if unicodedata.category(char)[0] in "LM")


# The ASCII answers of the two filters above, as translation tables (the per-character
# category lookup is most of a name's or a city's normalisation): the punctuation and symbols
# of ASCII, and everything in it but letters.
_NO_ASCII_PUNCTUATION = {code: None for code in range(128) if unicodedata.category(chr(code))[0] in "PS"}
_ASCII_LETTERS_ONLY = {code: None for code in range(128) if unicodedata.category(chr(code))[0] not in "LM"}


def digits_only(text: str) -> str:
    return "".join(char for char in text if "0" <= char <= "9")


def folded_key(text: str) -> str:
    """A lookup key that ignores case, accents, spaces and punctuation: ``États-Unis`` → ``etatsunis``.

    For matching names against a table only; never hashed (Meta keeps accents in hashed names).
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if unicodedata.category(char)[0] == "L")
