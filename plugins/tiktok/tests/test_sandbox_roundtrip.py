"""The connector against the SignalMesh sandbox over real HTTP: what it builds, TikTok would accept,
and what the sandbox answers, it classifies as the core expects."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from signalmesh.connector import Destination, OutcomeKind
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl
from signalmesh.testing import deliver
from signalmesh.v1 import event_pb2

from signalmesh_tiktok.connector import TikTokConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
TOKEN = "sandbox-token"
PIXEL = "C4PIXEL0123456789"
# conftest's make_event dates events 2026-11-20 12:00:00 UTC.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    # The sandbox's clock stands one minute after the events, so they are fresh.
    now = EVENT_TIME.timestamp() + 60
    server = await start_sandbox(tokens=(TOKEN,), clock=lambda: now, rng=random.Random(7))
    yield server
    await server.close()


@pytest.fixture
def sandbox_destination(sandbox: SandboxServer) -> Destination:
    return Destination(
        name="tiktok-sandbox",
        connector="tiktok",
        settings={
            "pixel_code": PIXEL,
            "access_token": TOKEN,
            "base_url": sandbox.url,
            "test_event_code": "TEST1",
        },
    )


def shopper(make_event: MakeEvent, event_id: str, **fields: object) -> event_pb2.ConversionEvent:
    user = event_pb2.UserData(
        emails=[" Jane.Doe@Example.com "],
        phones=["(650) 555-1212"],
        first_name="Jane",
        zip="94035",
        country="US",
        client_ip_address="203.0.113.7",
        client_user_agent="Mozilla/5.0",
    )
    return make_event(event_id, user_data=user, value="29.99", currency="usd", **fields)


async def test_prepared_events_are_accepted_and_recorded_by_event_source_id(
    connector: TikTokConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    store_sale = shopper(make_event, "store-1", action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE)
    batch = [
        connector.prepare(event, sandbox_destination) for event in (shopper(make_event, "web-1"), store_sale)
    ]
    requests = connector.build_requests(batch, sandbox_destination)
    outcomes = [outcome for request in requests for outcome in await deliver(connector, request)]
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [
        ("web-1", OutcomeKind.DELIVERED),
        ("store-1", OutcomeKind.DELIVERED),
    ]
    assert "request_id" in outcomes[0].message
    async with SandboxControl(sandbox.url) as control:
        recorded = await control.events("tiktok", PIXEL)
    assert [event["event"] for event in recorded.events] == ["CompletePayment", "CompletePayment"]


async def test_test_events_reach_the_test_channel_only(
    connector: TikTokConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    [request] = connector.build_requests(
        [connector.prepare(shopper(make_event, "t-1", test_mode=True), sandbox_destination)],
        sandbox_destination,
    )
    assert [outcome.kind for outcome in await deliver(connector, request)] == [OutcomeKind.DELIVERED]
    async with SandboxControl(sandbox.url) as control:
        assert (await control.events("tiktok", PIXEL)).events == []
        assert len((await control.events("tiktok", PIXEL, test=True)).events) == 1


async def test_a_wrong_token_pauses_the_destination_with_tiktoks_code(
    connector: TikTokConnector, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    wrong = replace(sandbox_destination, settings={**sandbox_destination.settings, "access_token": "stolen"})
    [request] = connector.build_requests([connector.prepare(shopper(make_event, "a"), wrong)], wrong)
    [outcome] = await deliver(connector, request)
    assert (outcome.kind, outcome.code, outcome.credentials) == (OutcomeKind.RETRY, "40105", True)
    assert outcome.message.startswith("access token")


async def test_one_stale_event_is_rejected_alone_and_the_rest_resent(
    connector: TikTokConnector, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    """The policy would skip a stale event; here it slips through to show the blame path end to end."""
    stale = shopper(make_event, "old")
    stale.event_time.FromSeconds(int(EVENT_TIME.timestamp()) - 8 * 86_400)
    batch = [connector.prepare(event, sandbox_destination) for event in (shopper(make_event, "ok"), stale)]
    [request] = connector.build_requests(batch, sandbox_destination)
    outcomes = await deliver(connector, request)
    assert [(outcome.event_id, outcome.kind, outcome.field) for outcome in outcomes] == [
        ("ok", OutcomeKind.RETRY, ""),
        ("old", OutcomeKind.REJECTED, "event_time"),
    ]
    assert outcomes[1].code == "40002"
