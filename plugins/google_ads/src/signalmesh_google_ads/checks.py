"""Google Ads' rule for the click ids a client sends, checked on every event at the gateway's edge. Pure.

The gateway's validator runs ``problems`` beside its own rules (``Connector.check_event``): an
event carrying two Google click ids is refused with the fix at once, rather than by Google on
upload, and the core itself knows nothing about Google's click ids.
"""

from __future__ import annotations

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

# Google Ads: at most one of gclid / wbraid / gbraid per conversion (platforms.md §2B).
GOOGLE_CLICK_IDS = ("gclid", "wbraid", "gbraid")


def problems(event: event_pb2.ConversionEvent) -> list[kit.FieldProblem]:
    """An error on the second Google click id when the event carries more than one."""
    present = [name for name in GOOGLE_CLICK_IDS if getattr(event.click_ids, name)]
    if len(present) <= 1:
        return []
    both = "both" if len(present) == 2 else "all"
    return [
        kit.FieldProblem(
            f"click_ids.{present[1]}",
            "click_ids.google_exclusive",
            f"{' and '.join(present)} are {both} set: Google accepts one click id per conversion "
            "(gclid for web clicks, wbraid for iOS web, gbraid for iOS app); "
            "send only the one the click carried",
        )
    ]
