"""The client IP checks the edge makes on every event: is it an address, and can a platform match it.

``ipaddress`` answers both, but parses each octet in Python and tests an address against every
special-purpose network one by one (~15 ``in`` tests). A dotted-quad IPv4 address, what nearly
every client sends, is read here with one regular expression and checked against the same
networks as integer ranges; anything else (IPv6, odd forms) goes to ``ipaddress`` unchanged.
The answers are ``ipaddress``'s own (tests/unit/gateway/test_ip_check.py compares them).
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right

# What ipaddress.IPv4Address accepts as text: four decimal octets 0-255, no leading zeros.
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def _ranges(networks: object) -> tuple[tuple[int, int], ...]:
    return tuple(
        (int(network.network_address), int(network.broadcast_address))
        for network in networks  # type: ignore[attr-defined]
    )


# The networks IPv4Address.is_private and is_loopback test, as read from this Python's own
# ipaddress (the list changes between Python versions); None when it keeps them elsewhere.
_CONSTANTS = getattr(ipaddress, "_IPv4Constants", None)
_PRIVATE = _ranges(getattr(_CONSTANTS, "_private_networks", None) or ()) or None
_PRIVATE_EXCEPTIONS = _ranges(getattr(_CONSTANTS, "_private_networks_exceptions", None) or ())
_LOOPBACK = _ranges((ipaddress.IPv4Network("127.0.0.0/8"),))


def _unroutable(number: int) -> bool:
    """``is_private or is_loopback`` of the IPv4 address ``number``, range by range."""
    if any(start <= number <= end for start, end in _LOOPBACK):
        return True
    return any(start <= number <= end for start, end in _PRIVATE or ()) and not any(
        start <= number <= end for start, end in _PRIVATE_EXCEPTIONS
    )


def _toggles() -> tuple[int, ...]:
    """Where ``_unroutable`` changes its answer, in order from address 0 (which counts as a
    change when it is unroutable): between two range edges the answer is the same for every
    address, so the answer for any address is whether an odd number of toggles lie at or below
    it (one ``bisect``, not ~15 range tests)."""
    edges = {0} | {
        edge
        for start, end in (*(_PRIVATE or ()), *_PRIVATE_EXCEPTIONS, *_LOOPBACK)
        for edge in (start, end + 1)
    }
    toggles, inside = [], False
    for edge in sorted(edge for edge in edges if edge < 2**32):
        if _unroutable(edge) != inside:
            toggles.append(edge)
            inside = not inside
    return tuple(toggles)


_TOGGLES = _toggles()


def _dotted_quad(text: str) -> int | None:
    match = _DOTTED_QUAD.fullmatch(text)
    if match is None:
        return None
    first, second, third, fourth = map(int, match.groups())
    return (first << 24) | (second << 16) | (third << 8) | fourth


def is_ip_address(text: str) -> bool:
    """Whether ``text`` (already trimmed) is an IPv4 or IPv6 address, as ``ipaddress`` reads it."""
    if _dotted_quad(text) is not None:
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_private_or_loopback(text: str) -> bool:
    """``ip_address(text).is_private or .is_loopback`` for an address ``is_ip_address`` accepted."""
    number = _dotted_quad(text)
    if number is None or _PRIVATE is None:
        address = ipaddress.ip_address(text)
        return address.is_private or address.is_loopback
    return bisect_right(_TOGGLES, number) % 2 == 1
