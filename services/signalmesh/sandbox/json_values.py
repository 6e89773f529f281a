"""Checks of JSON values the platform emulators share: what counts as a number, an IP address, a
string or an array of strings. Pure."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any


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
