"""Fixtures for the Webhook connector's tests: a connector and a destination (``make_event``
is the signalmesh.testing plugin's)."""

from __future__ import annotations

import pytest
from signalmesh.connector import Destination

from signalmesh_webhook.connector import WebhookConnector

SECRET = "whsec-0123456789"


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
