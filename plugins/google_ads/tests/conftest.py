"""Fixtures for the Google Ads connector's tests: a connector, a destination and an event factory."""

from __future__ import annotations

import pytest
from signalmesh.connector import Destination
from signalmesh.testing.events import MakeEvent, event_factory
from signalmesh.v1 import event_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

GCLID = "Cj0KCQiA1234567890abcdef"


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
    return event_factory(value="29.99", currency="USD", click_ids=event_pb2.ClickIds(gclid=GCLID))
