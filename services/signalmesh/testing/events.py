"""Events for a connector package's own tests: one factory instead of a copy in every conftest.

``event_factory(**defaults)`` returns a ``make_event(event_id="evt-1", **fields)`` that builds a
website Purchase at ``EVENT_TIME`` with ``defaults`` and then ``fields`` applied: message fields
are copied, repeated fields replaced, scalars set, and a ``datetime`` sets a timestamp. The pytest
plugin serves the plain factory as the ``make_event`` fixture; a conftest that wants other
defaults (a click id, a value) overrides the fixture with its own ``event_factory(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from signalmesh.v1 import event_pb2

# 2026-11-20 12:00:00 UTC = 1795176000: a fixed time, so payloads compare byte for byte.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
CHECKOUT_URL = "https://shop.example/checkout"

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def event_factory(**defaults: Any) -> MakeEvent:
    """A ``make_event`` whose events start from a website Purchase plus ``defaults``."""

    def make_event(event_id: str = "evt-1", **fields: Any) -> event_pb2.ConversionEvent:
        event = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url=CHECKOUT_URL,
        )
        event.event_time.FromDatetime(EVENT_TIME)
        for name, value in {**defaults, **fields}.items():
            set_field(event, name, value)
        return event

    return make_event


def set_field(event: event_pb2.ConversionEvent, name: str, value: Any) -> None:
    """Set one top-level field of ``event``, whatever its kind."""
    target = getattr(event, name)
    if isinstance(value, datetime):
        target.FromDatetime(value)
    elif hasattr(target, "CopyFrom"):
        target.CopyFrom(value)
    elif hasattr(target, "extend"):
        del target[:]
        target.extend(value)
    else:
        setattr(event, name, value)
