"""Fixtures for the Google Ads connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

# 2026-11-20 12:00:00 UTC.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
GCLID = "Cj0KCQiA1234567890abcdef"

MakeEvent = Callable[..., event_pb2.ConversionEvent]


@pytest.fixture
def connector() -> GoogleAdsConnector:
    return GoogleAdsConnector()


@pytest.fixture
def destination() -> Destination:
    return Destination(
        name="gads",
        connector="google_ads",
        settings={
            # As Google Ads shows it; the connector sends digits only.
            "customer_id": "123-456-7890",
            "access_token": "ya29.token",
            "developer_token": "dev-token",
            "conversion_actions.Purchase": "987654321",
            "conversion_actions.Lead": "555",
        },
    )


@pytest.fixture
def make_event() -> MakeEvent:
    """Build a website Purchase with a gclid; keyword arguments override or add top-level fields."""

    def build(event_id: str = "evt-1", **fields: Any) -> event_pb2.ConversionEvent:
        event = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            value="29.99",
            currency="USD",
        )
        event.event_time.FromDatetime(EVENT_TIME)
        event.click_ids.gclid = GCLID
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
