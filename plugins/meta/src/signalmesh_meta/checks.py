"""Meta's format rules for what a client sends, checked on every event at the gateway's edge. Pure.

The gateway's validator runs ``problems`` beside its own rules (``Connector.check_event``), so a
malformed Meta cookie is reported with its field path and fix when the event arrives, rather
than by Meta hours later, and the core itself knows nothing about Meta's cookies.

``fbc`` and ``fbp`` are optional identifiers: one Meta could not use costs only itself. It is a
warning, the event is accepted for every destination, and the Meta connector leaves the cookie
out of what it sends (``usable_cookie``, read by ``payload``): Meta refuses a request carrying a
malformed one (for ``fbc``, one whose creation time is in seconds), which would cost the event.
"""

from __future__ import annotations

import re

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

# Meta: the _fbc and _fbp cookies read fb.<subdomain index>.<creation time ms>.<id> (platforms.md
# §1.11): the creation time is Unix milliseconds, 13 digits (10 would be seconds, a common bug);
# the parameter builder library's trailing .appendix is allowed by \S+.
_COOKIE = re.compile(r"fb\.\d+\.\d{13}\.\S+")


def usable_cookie(value: str) -> bool:
    """Whether an ``fbc`` or ``fbp`` value (stripped) is in the shape Meta accepts."""
    return _COOKIE.fullmatch(value) is not None


def problems(event: event_pb2.ConversionEvent) -> list[kit.FieldProblem]:
    """What is wrong with the event's Meta click ids, as warnings: an fbclid ``fbc`` cannot be
    built from, and each cookie not in Meta's shape (left out of what Meta is sent)."""
    click_ids = event.click_ids
    found: list[kit.FieldProblem] = []
    if click_ids.fbclid and not click_ids.fbc and not click_ids.HasField("click_time"):
        found.append(
            kit.FieldProblem(
                "click_ids.click_time",
                "fbc.click_time_missing",
                "fbclid was sent without click_time: "
                "fbc cannot be built (its creation time is never invented); send click_time",
                warning=True,
            )
        )
    for name in ("fbc", "fbp"):
        value = getattr(click_ids, name).strip()
        if value and not usable_cookie(value):
            found.append(
                kit.FieldProblem(
                    f"click_ids.{name}",
                    f"{name}.format",
                    f"must look like fb.1.<creation time ms>.<id>, as Meta's _{name} cookie "
                    "(creation time in milliseconds, 13 digits); not sent: Meta destinations "
                    "get the event without it, every other destination as it is",
                    warning=True,
                )
            )
    return found
