"""Fixtures for the GA4 connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

import pytest
from signalmesh.connector import Destination
from signalmesh.testing.events import MakeEvent, event_factory
from signalmesh.v1 import event_pb2

from signalmesh_ga4.connector import Ga4Connector

CLIENT_ID = "1234567890.1795170000"


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
    return event_factory(click_ids=event_pb2.ClickIds(ga_client_id=CLIENT_ID))
