"""Checks of JSON values the platform emulators share: what counts as a number, an IP address, a
string or an array of strings, a SHA-256 digest, a currency code. Pure."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_LETTER_CODE = re.compile(r"[A-Za-z]{3}")


def is_number(value: Any) -> bool:
    """A finite JSON number; ``true`` is not one, though Python says it is."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_ip_address(value: Any) -> bool:
    """An IPv4 or IPv6 address as a string."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def all_strings(value: Any, accept: Callable[[str], Any]) -> bool:
    """A string or a non-empty array of strings, each accepted by ``accept``."""
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(item, str) and accept(item) for item in values)


def is_sha256_hex(value: Any) -> bool:
    """A SHA-256 digest as the platforms want hashed identifiers: 64 lower-case hex characters."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def unhashed_keys(record: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """The ``keys`` present in ``record`` whose value is not a SHA-256 digest or an array of them:
    the personal data a platform refuses to take in the clear."""
    return [key for key in keys if key in record and not all_strings(record[key], is_sha256_hex)]


def is_currency_code(value: Any) -> bool:
    """Three letters, as Meta, TikTok and GA4 take an ISO 4217 code (either case)."""
    return isinstance(value, str) and _LETTER_CODE.fullmatch(value) is not None
