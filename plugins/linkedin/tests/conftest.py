"""Fixtures for the LinkedIn connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_linkedin.connector import LinkedInConnector

# 2026-11-20 12:00:00.250 UTC = 1795176000250 ms.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, 250_000, tzinfo=UTC)
PURCHASE_RULE = "123456"

MakeEvent = Callable[..., event_pb2.ConversionEvent]


@pytest.fixture
def connector() -> LinkedInConnector:
    return LinkedInConnector()


@pytest.fixture
def destination() -> Destination:
    """As the core delivers [destinations.li.conversion_rules]: flattened to name.event keys."""
    return Destination(
        name="li",
        connector="linkedin",
        settings={
            "access_token": "token-abc",
            "conversion_rules.Purchase": PURCHASE_RULE,
            "conversion_rules.Lead": "urn:lla:llaPartnerConversion:654321",
        },
    )


@pytest.fixture
def make_event() -> MakeEvent:
    """Build a website Purchase of 29.90 USD; keyword arguments override or add top-level fields."""

    def build(event_id: str = "evt-1", **fields: Any) -> event_pb2.ConversionEvent:
        event = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            value="29.90",
            currency="USD",
        )
        event.event_time.FromDatetime(EVENT_TIME)
        for name, value in fields.items():
            target = getattr(event, name)
            if hasattr(target, "CopyFrom"):
                target.CopyFrom(value)
            elif hasattr(target, "extend"):
                del target[:]
                target.extend(value)
            else:
                setattr(event, name, value)
        return event

    return build
