"""Fixtures for the GA4 connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_ga4.connector import Ga4Connector

# 2026-11-20 12:00:00 UTC = 1795176000.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
CLIENT_ID = "1234567890.1795170000"

MakeEvent = Callable[..., event_pb2.ConversionEvent]


@pytest.fixture
def connector() -> Ga4Connector:
    return Ga4Connector()


@pytest.fixture
def destination() -> Destination:
    return Destination(
        name="ga4-prod",
        connector="ga4",
        settings={"measurement_id": "G-ABC123", "api_secret": "secret-abc"},
    )


@pytest.fixture
def make_event() -> MakeEvent:
    """Build a website Purchase with a GA4 client id; keyword arguments override top-level fields."""

    def build(event_id: str = "evt-1", **fields: Any) -> event_pb2.ConversionEvent:
        event = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            click_ids=event_pb2.ClickIds(ga_client_id=CLIENT_ID),
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
