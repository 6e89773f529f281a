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

# GA4: names are at most 40 characters: letters, digits and '_', starting with a letter (§2A).
MAX_NAME_LENGTH = 40
_VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
# GA4: names must not start with these (§2A; '_' is also reserved by the reference, G2).
RESERVED_PREFIXES = ("_", "firebase_", "ga_", "google_", "gtag.")
# GA4: reserved event names (§2A names session_start, first_visit, user_engagement; the full
# list is the reference's "reserved names", G2).
# fmt: off
RESERVED_EVENT_NAMES = frozenset({
    "ad_activeview", "ad_click", "ad_exposure", "ad_impression", "ad_query", "ad_reward",
    "adunit_exposure", "app_background", "app_clear_data", "app_exception", "app_remove",
    "app_store_refund", "app_store_subscription_cancel", "app_store_subscription_convert",
    "app_store_subscription_renew", "app_update", "app_upgrade", "dynamic_link_app_open",
    "dynamic_link_app_update", "dynamic_link_first_open", "error", "first_open", "first_visit",
    "in_app_purchase", "notification_dismiss", "notification_foreground", "notification_open",
    "notification_receive", "os_update", "session_start", "session_start_with_rollout",
    "user_engagement",
})
# fmt: on

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
    if not _VALID_NAME.fullmatch(name):
        return "invalid"
    return None


def is_valid_param_name(name: str) -> bool:
    return name_problem(name) is None


def event_name_problem(name: str) -> str | None:
    """Like ``name_problem``, and GA4's reserved event names (``session_start`` …) are "reserved"."""
    if name in RESERVED_EVENT_NAMES:
        return "reserved"
    return name_problem(name)
