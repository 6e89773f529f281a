"""Fixtures for the LinkedIn connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from signalmesh.connector import Destination
from signalmesh.testing.events import MakeEvent, event_factory

from signalmesh_linkedin.connector import LinkedInConnector

# 2026-11-20 12:00:00.250 UTC = 1795176000250 ms.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, 250_000, tzinfo=UTC)
PURCHASE_RULE = "123456"


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
    return event_factory(event_time=EVENT_TIME, value="29.90", currency="USD")
