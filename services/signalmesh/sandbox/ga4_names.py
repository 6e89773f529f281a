"""GA4's naming rules, the one list both sides use: the sandbox validates names with it the way
the real Measurement Protocol does, and the GA4 connector checks the bodies it sent against it
(``/mp/collect`` answers 2xx whatever it drops). Pure data.

Platform facts from platforms.md §2A "Events and params": names are at most 40 letters, digits
and '_', starting with a letter; they must not start with ``firebase_``, ``ga_``, ``google_`` or
``gtag.``; and GA4's reserved event names are refused. A leading '_' is not a reserved prefix
but an invalid first character: Google's own example answers NAME_INVALID for it (G6).
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 40
# Letters, digits and '_', starting with a letter; the length is checked on its own.
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
RESERVED_PREFIXES = ("firebase_", "ga_", "google_", "gtag.")
# GA4: reserved event names (§2A names session_start, first_visit, user_engagement; G2 lists all).
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
