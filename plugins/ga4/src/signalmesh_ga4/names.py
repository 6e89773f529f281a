"""Our event names → GA4 event names, and GA4's naming rules. Pure.

GA4 has its own recommended event names (``purchase``, ``generate_lead`` …, platforms.md §2A,
source G5). Standard SignalMesh names map to them; any other name is turned into GA4's shape
(lower snake case, at most 40 characters). A name that still breaks a GA4 rule (a reserved name
or prefix, a leading digit) is sent as it is: the validation server (test mode) then names the
problem, where a rewritten name would hide it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# GA4's naming rules (length, pattern, reserved prefixes and event names) are the core's one
# list, shared with the sandbox that validates like GA4 (platforms.md §2A).
from signalmesh.sandbox.ga4_names import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    RESERVED_EVENT_NAMES,
    RESERVED_PREFIXES,
)

# Our standard names (DESIGN.md §2) → GA4 recommended events (G5). Subscribe, Contact and
# SubmitApplication have no GA4 counterpart: they become custom events of the same meaning.
STANDARD_EVENT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "Purchase": "purchase",
        "Lead": "generate_lead",
        "CompleteRegistration": "sign_up",
        "AddToCart": "add_to_cart",
        "AddToWishlist": "add_to_wishlist",
        "InitiateCheckout": "begin_checkout",
        "AddPaymentInfo": "add_payment_info",
        "ViewContent": "view_item",
        "Search": "search",
        "Subscribe": "subscribe",
        "Contact": "contact",
        "SubmitApplication": "submit_application",
    }
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_NAME_CHARACTER = re.compile(r"[^a-z0-9]+")


def ga4_event_name(event_name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The GA4 name for ``event_name``: the destination's override, the standard map, or snake case."""
    if overrides and event_name in overrides:
        return overrides[event_name]
    if event_name in STANDARD_EVENT_NAMES:
        return STANDARD_EVENT_NAMES[event_name]
    return snake_case(event_name)


def snake_case(name: str) -> str:
    """``BookDemo`` → ``book_demo``, ``Trial Started!`` → ``trial_started``; at most 40 characters."""
    spaced = _CAMEL_BOUNDARY.sub("_", name.strip())
    snake = _NOT_NAME_CHARACTER.sub("_", spaced.lower()).strip("_")
    return snake[:MAX_NAME_LENGTH].rstrip("_")


def name_problem(name: str) -> str | None:
    """Why GA4 refuses ``name`` as an event or param name, or None when it is a valid name."""
    if name.startswith(RESERVED_PREFIXES):
        return "reserved"
    if len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
        return "invalid"
    return None


def is_valid_param_name(name: str) -> bool:
    return name_problem(name) is None


def event_name_problem(name: str) -> str | None:
    """Like ``name_problem``, and GA4's reserved event names (``session_start`` …) are "reserved"."""
    if name in RESERVED_EVENT_NAMES:
        return "reserved"
    return name_problem(name)
