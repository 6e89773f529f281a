"""Fixtures for the Meta connector's tests: a connector and a destination (``make_event``
is the signalmesh.testing plugin's)."""

from __future__ import annotations

import pytest
from signalmesh.connector import Destination

from signalmesh_meta.connector import MetaConnector


@pytest.fixture
def connector() -> MetaConnector:
    return MetaConnector()


@pytest.fixture
def destination() -> Destination:
    return Destination(
        name="meta-prod",
        connector="meta",
        settings={"pixel_id": "1234567890", "access_token": "token-abc", "test_event_code": "TEST123"},
    )
