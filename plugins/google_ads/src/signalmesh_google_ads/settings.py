"""A destination's Google Ads settings read as typed values: account ids, URL, conversion actions. Pure.

The core checks only that required settings are present; their format is checked here, where the
rule lives. Account ids are accepted as Google Ads shows them (``123-456-7890``) and sent as
digits, because the API takes digits only (platforms.md §2B).
"""

from __future__ import annotations

import re

from signalmesh.connector import kit

# Google Ads: the REST base; v25 is the newest version whose request and error types the spec
# sheet was written from (platforms.md §2B, SDK S2 v25). v26 exists (Doc G7): set api_version.
DEFAULT_BASE_URL = "https://googleads.googleapis.com"
DEFAULT_API_VERSION = "v25"
# signalmesh.toml: [destinations.NAME.conversion_actions] Purchase = "123456789" arrives flattened
# as the setting "conversion_actions.Purchase".
CONVERSION_ACTIONS = "conversion_actions"

_ACCOUNT_SEPARATORS = re.compile(r"[\s-]")
_DIGITS = re.compile(r"\d+")


def account_digits(value: str) -> str:
    """``123-456-7890`` → ``1234567890``: the form the API takes. Not validated (see ``customer_id``)."""
    return _ACCOUNT_SEPARATORS.sub("", value)


def customer_id(destination: kit.Destination) -> str:
    """The advertiser's customer id as digits; a ValueError names the setting when it is not one."""
    return _account_id(destination, "customer_id", required=True) or ""


def login_customer_id(destination: kit.Destination) -> str | None:
    """The manager (MCC) account id to act through, as digits, or None when not set."""
    return _account_id(destination, "login_customer_id", required=False)


def conversion_action_id(destination: kit.Destination, event_name: str) -> str | None:
    """The conversion action id mapped to ``event_name`` (exact, case-sensitive), or None.

    A value that is not a numeric id counts as unmapped: the policy then skips the event and its
    detail says to map the event name, instead of Google refusing every upload of it.
    """
    action_id = destination.setting(f"{CONVERSION_ACTIONS}.{event_name}").strip()
    return action_id if _DIGITS.fullmatch(action_id) else None


def conversion_action_resource(customer: str, action_id: str) -> str:
    # Google Ads: conversion_action is the resource name customers/{cid}/conversionActions/{id}.
    return f"customers/{customer}/conversionActions/{action_id}"


def upload_url(destination: kit.Destination) -> str:
    # Google Ads REST: POST /v{N}/customers/{customerId}:uploadClickConversions (platforms.md §2B).
    base_url = destination.setting("base_url", DEFAULT_BASE_URL).rstrip("/")
    api_version = destination.setting("api_version", DEFAULT_API_VERSION)
    return f"{base_url}/{api_version}/customers/{customer_id(destination)}:uploadClickConversions"


def _account_id(destination: kit.Destination, key: str, *, required: bool) -> str | None:
    raw = destination.setting(key).strip()
    if not raw and not required:
        return None
    digits = account_digits(raw)
    if not _DIGITS.fullmatch(digits):
        # The core has no hook to check a setting's format at start-up, so this is the first place
        # a malformed id can be caught; the dispatcher logs it and the entries stay queued.
        raise ValueError(
            f"destination {destination.name!r}: {key} must be a Google Ads account id, digits only "
            f"(e.g. 1234567890 for 123-456-7890), got {raw!r}"
        )
    return digits
