"""The connector against the SignalMesh sandbox over real HTTP: what it builds, LinkedIn's emulator
accepts, and what the emulator answers, it classifies."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from signalmesh.connector import Destination, OutcomeKind
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl
from signalmesh.testing import send
from signalmesh.v1 import event_pb2

from signalmesh_linkedin.connector import LinkedInConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
TOKEN = "sandbox-token"
# Five minutes after conftest's EVENT_TIME, so its events are fresh and 202609 is active.
NOW = datetime(2026, 11, 20, 12, 5, tzinfo=UTC).timestamp()
PURCHASE_RULE = "123456"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(tokens=(TOKEN,), clock=lambda: NOW, rng=random.Random(1))
    yield server
    await server.close()


@pytest.fixture
def sandbox_destination(destination: Destination, sandbox: SandboxServer) -> Destination:
    return replace(
        destination, settings={**destination.settings, "access_token": TOKEN, "base_url": sandbox.url}
    )


def user(email: str = "Jane.Doe@Example.com") -> event_pb2.UserData:
    return event_pb2.UserData(emails=[email], first_name="Jane", last_name="Doe", phones=["+16505551212"])


async def test_prepared_events_are_accepted_and_recorded_by_the_sandbox(
    connector: LinkedInConnector,
    sandbox_destination: Destination,
    sandbox: SandboxServer,
    make_event: MakeEvent,
) -> None:
    events = [
        make_event("order-1", user_data=user()),
        make_event("order-2", click_ids=event_pb2.ClickIds(li_fat_id="df8a4e32-9b7d")),
        make_event("lead-1", event_name="Lead", value="", currency="", user_data=user("a@b.example")),
    ]
    prepared = [connector.prepare(event, sandbox_destination) for event in events]
    [request] = connector.build_requests(prepared, sandbox_destination)
    outcomes = connector.classify(request, await send(request))
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [
        ("order-1", OutcomeKind.DELIVERED),
        ("order-2", OutcomeKind.DELIVERED),
        ("lead-1", OutcomeKind.DELIVERED),
    ]
    async with SandboxControl(sandbox.url) as control:
        recorded = await control.events("linkedin", f"urn:lla:llaPartnerConversion:{PURCHASE_RULE}")
        assert [event["eventId"] for event in recorded.events] == ["order-1", "order-2"]
        assert recorded.events[0]["conversionValue"] == {"amount": "29.90", "currencyCode": "USD"}
        leads = await control.events("linkedin", "urn:lla:llaPartnerConversion:654321")
        assert [event["eventId"] for event in leads.events] == ["lead-1"]


async def test_an_event_the_sandbox_refuses_is_rejected_alone_with_linkedins_field(
    connector: LinkedInConnector, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    stale = make_event("old-1", user_data=user())
    stale.event_time.FromSeconds(int(NOW) - 91 * 86_400)
    prepared = [
        connector.prepare(event, sandbox_destination) for event in (make_event(user_data=user()), stale)
    ]
    [request] = connector.build_requests(prepared, sandbox_destination)
    fresh, old = connector.classify(request, await send(request))
    assert fresh.kind is OutcomeKind.DELIVERED
    assert (old.kind, old.field, old.whole_request) == (OutcomeKind.REJECTED, "conversionHappenedAt", False)
    assert "90 days" in old.message


async def test_a_sunset_api_version_pauses_the_destination_saying_what_to_change(
    connector: LinkedInConnector, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    sunset = replace(sandbox_destination, settings={**sandbox_destination.settings, "api_version": "202510"})
    [request] = connector.build_requests([connector.prepare(make_event(user_data=user()), sunset)], sunset)
    [outcome] = connector.classify(request, await send(request))
    assert (outcome.kind, outcome.credentials, outcome.code) == (
        OutcomeKind.RETRY,
        True,
        "NONEXISTENT_VERSION",
    )
    assert "Requested version 20251001 is not active" in outcome.message and "api_version" in outcome.message


async def test_a_throttled_request_is_retried_after_the_sandboxs_retry_after(
    connector: LinkedInConnector,
    sandbox_destination: Destination,
    sandbox: SandboxServer,
    make_event: MakeEvent,
) -> None:
    async with SandboxControl(sandbox.url) as control:
        await control.inject(platform="linkedin", status=429, retry_after=4, count=1)
    [request] = connector.build_requests(
        [connector.prepare(make_event(user_data=user()), sandbox_destination)], sandbox_destination
    )
    [outcome] = connector.classify(request, await send(request))
    assert (outcome.kind, outcome.retry_after, outcome.code) == (OutcomeKind.RETRY, 4.0, "TOO_MANY_REQUESTS")
