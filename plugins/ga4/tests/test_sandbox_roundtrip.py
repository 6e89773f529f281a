"""The connector against the SignalMesh sandbox over real HTTP: what it builds, GA4 would accept,
and what the sandbox answers (204 for everything on /mp/collect, validationMessages on
/debug/mp/collect), it classifies as the core expects."""

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

from signalmesh_ga4.connector import Ga4Connector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
SECRET = "sandbox-token"
MEASUREMENT_ID = "G-SANDBOX01"
# conftest's make_event dates events 2026-11-20 12:00:00 UTC.
EVENT_TIME = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    # The sandbox's clock stands one minute after the events, so they are fresh.
    now = EVENT_TIME.timestamp() + 60
    server = await start_sandbox(tokens=(SECRET,), clock=lambda: now, rng=random.Random(7))
    yield server
    await server.close()


@pytest.fixture
def sandbox_destination(sandbox: SandboxServer) -> Destination:
    return Destination(
        name="ga4-sandbox",
        connector="ga4",
        settings={"measurement_id": MEASUREMENT_ID, "api_secret": SECRET, "base_url": sandbox.url},
    )


def shopper(make_event: MakeEvent, event_id: str, **fields: object) -> event_pb2.ConversionEvent:
    user = event_pb2.UserData(
        emails=[" Jane.Doe+shop@gmail.com "],
        phones=["(650) 555-1212"],
        first_name="Jane",
        last_name="Doe",
        city="St. Louis",
        zip="63101",
        country="US",
    )
    return make_event(event_id, user_data=user, value="29.99", currency="usd", **fields)


async def test_prepared_events_are_delivered_and_recorded_with_user_data(
    connector: Ga4Connector, sandbox: SandboxServer, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    batch = [connector.prepare(shopper(make_event, event_id), sandbox_destination) for event_id in ("a", "b")]
    [request] = connector.build_requests(batch, sandbox_destination)
    outcomes = await deliver(connector, request)
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [
        ("a", OutcomeKind.DELIVERED),
        ("b", OutcomeKind.DELIVERED),
    ]
    async with SandboxControl(sandbox.url) as control:
        recorded = await control.events("ga4", MEASUREMENT_ID)
        dropped = await control.events("ga4", MEASUREMENT_ID + ":dropped")
    assert [event["name"] for event in recorded.events] == ["purchase", "purchase"]
    assert recorded.events[0]["user_data"]["address"][0]["city"] == "st louis"
    assert dropped.events == []


async def test_test_events_are_validated_and_never_reach_production(
    connector: Ga4Connector, sandbox: SandboxServer, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    bad = shopper(make_event, "bad", event_name="first_visit", test_mode=True)
    good = shopper(make_event, "good", test_mode=True)
    [request] = connector.build_requests(
        [connector.prepare(event, sandbox_destination) for event in (good, bad)], sandbox_destination
    )
    outcomes = await deliver(connector, request)
    assert [(o.event_id, o.kind, o.code, o.field) for o in outcomes] == [
        ("good", OutcomeKind.DELIVERED, "", ""),
        ("bad", OutcomeKind.REJECTED, "NAME_RESERVED", "name"),
    ]
    assert "first_visit" in outcomes[1].message
    async with SandboxControl(sandbox.url) as control:
        assert (await control.events("ga4", MEASUREMENT_ID)).events == []
        assert [
            e["params"]["event_id"] for e in (await control.events("ga4", MEASUREMENT_ID, test=True)).events
        ] == ["good"]


async def test_a_wrong_api_secret_is_answered_204_and_dropped_silently(
    connector: Ga4Connector, sandbox: SandboxServer, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    """Like GA4 (§2A): nothing in the answer says so; only the sandbox's record shows the drop."""
    wrong = replace(sandbox_destination, settings={**sandbox_destination.settings, "api_secret": "stolen"})
    [request] = connector.build_requests([connector.prepare(shopper(make_event, "a"), wrong)], wrong)
    [outcome] = await deliver(connector, request)
    assert outcome.kind is OutcomeKind.DELIVERED
    async with SandboxControl(sandbox.url) as control:
        assert (await control.events("ga4", MEASUREMENT_ID)).events == []
        [dropped] = (await control.events("ga4", MEASUREMENT_ID + ":dropped")).events
    assert dropped["validationMessages"][0]["fieldPath"] == "api_secret"


async def test_an_event_ga4_would_drop_is_rejected_though_the_answer_is_204(
    connector: Ga4Connector, sandbox: SandboxServer, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    no_currency = shopper(make_event, "cheap", event_name="Lead")
    no_currency.currency = ""
    [request] = connector.build_requests(
        [connector.prepare(event, sandbox_destination) for event in (shopper(make_event, "ok"), no_currency)],
        sandbox_destination,
    )
    outcomes = await deliver(connector, request)
    assert [(o.event_id, o.kind) for o in outcomes] == [
        ("ok", OutcomeKind.DELIVERED),
        ("cheap", OutcomeKind.REJECTED),
    ]
    async with SandboxControl(sandbox.url) as control:
        [dropped] = (await control.events("ga4", MEASUREMENT_ID + ":dropped")).events
    # The connector's verdict and the sandbox's agree on the field.
    assert dropped["validationMessages"][0]["fieldPath"] == "events[1].params.currency"
    assert outcomes[1].field == "params.currency"
