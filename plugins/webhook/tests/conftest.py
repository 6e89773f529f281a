"""Fixtures for the Webhook connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_webhook.connector import WebhookConnector

# 2026-11-20 12:00:00 UTC = 1795176000.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
SECRET = "whsec-0123456789"

MakeEvent = Callable[..., event_pb2.ConversionEvent]


@pytest.fixture
def connector() -> WebhookConnector:
    return WebhookConnector()


@pytest.fixture
def destination() -> Destination:
    return Destination(
        name="crm",
        connector="webhook",
        settings={
            "url": "https://crm.example.com/hooks/conversions",
            "secret": SECRET,
            "test_url": "https://crm.example.com/hooks/test",
        },
    )


@pytest.fixture
def make_event() -> MakeEvent:
    """Build a website Purchase; keyword arguments override or add top-level fields."""

    def build(event_id: str = "evt-1", **fields: Any) -> event_pb2.ConversionEvent:
        event = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
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
