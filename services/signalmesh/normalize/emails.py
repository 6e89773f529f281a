"""Google's email rule before SHA-256, shared by the GA4 and Google Ads connectors. Pure.

Both Google connectors hash emails the same way (platforms.md §2A "user_data", §2B, §2C), so the
rule lives here once instead of in each of them; other platforms keep their own rule.
"""

from __future__ import annotations

import re

from signalmesh.normalize.text import nfc_lower

_LOOSE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Google (Data Manager formatting guide, G10): the dot and plus rule applies to these two only.
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def google_email(value: str) -> str | None:
    """Lower-case, no whitespace; for gmail.com and googlemail.com also no dots and no ``+tag``.

    ``Cloudy.SanFrancisco+shopping@gmail.com`` → ``cloudysanfrancisco@gmail.com``, but
    ``user.name+NYC@Example.com`` → ``user.name+nyc@example.com``; None for what is no address.

    Google's sources disagree (platforms.md §2C, open item 4): GA4's own page (G4) drops only the
    dots of gmail/googlemail; an older Ads page reads as if dots and ``+tag`` went for every
    domain; the Java/PHP/Ruby/.NET samples drop gmail dots but keep ``+``; the Python sample
    (commit f7ff799) deletes every ``.`` and ``+`` of any local part. We follow the Data Manager
    guide (G10), the most precise current statement.
    """
    # Google: trim, lower-case and remove all whitespace (§2A, §2C).
    normalised = "".join(nfc_lower(value).split())
    if not _LOOSE_EMAIL.fullmatch(normalised):
        return None
    local, _, domain = normalised.rpartition("@")
    if domain in _GMAIL_DOMAINS:
        # Google (G10): drop every '.' of the local part and '+' with everything after it.
        local = local.partition("+")[0].replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"
