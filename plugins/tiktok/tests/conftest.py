"""Fixtures for the TikTok connector's tests: a connector and a destination (``make_event``
is the signalmesh.testing plugin's)."""

from __future__ import annotations

import pytest
from signalmesh.connector import Destination

from signalmesh_tiktok.connector import TikTokConnector


@pytest.fixture
def connector() -> TikTokConnector:
    return TikTokConnector()


@pytest.fixture
def destination() -> Destination:
    return Destination(
        name="tiktok-prod",
        connector="tiktok",
        settings={
            "pixel_code": "C4PIXEL0123456789",
            "access_token": "token-abc",
            "test_event_code": "TEST123",
        },
    )
