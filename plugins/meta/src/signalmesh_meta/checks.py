"""Meta's format rules for what a client sends, checked on every event at the gateway's edge. Pure.

The gateway's validator runs ``problems`` beside its own rules (``Connector.check_event``), so a
malformed Meta cookie is refused with its field path and fix before it is accepted, rather than
by Meta hours later, and the core itself knows nothing about Meta's cookies.
"""

from __future__ import annotations

import re

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

# Meta: the _fbc and _fbp cookies read fb.<subdomain index>.<creation time ms>.<id> (platforms.md §1.11).
_COOKIE = re.compile(r"fb\.\d\.\d{10,13}\.\S+")


def problems(event: event_pb2.ConversionEvent) -> list[kit.FieldProblem]:
    """What is wrong with the event's Meta click ids: a warning for an fbclid ``fbc`` cannot be
    built from, an error for each cookie not in Meta's shape."""
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
        value = getattr(click_ids, name)
        if value and not _COOKIE.fullmatch(value):
            found.append(
                kit.FieldProblem(
                    f"click_ids.{name}",
                    f"{name}.format",
                    f"must look like fb.1.<creation time ms>.<id>, as Meta's _{name} cookie",
                )
            )
    return found
