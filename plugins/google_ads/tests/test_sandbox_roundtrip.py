"""The connector against the SignalMesh sandbox over real HTTP: what it builds, Google Ads would accept,
and what the sandbox answers, it classifies as the core expects."""

from __future__ import annotations

import hashlib
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

from signalmesh_google_ads.connector import GoogleAdsConnector
from signalmesh_google_ads.responses import VALIDATED_MESSAGE

MakeEvent = Callable[..., event_pb2.ConversionEvent]
TOKEN = "sandbox-token"
CUSTOMER = "1234567890"
DELIVERED, RETRY, REJECTED = OutcomeKind.DELIVERED, OutcomeKind.RETRY, OutcomeKind.REJECTED
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
def sandbox_destination(sandbox: SandboxServer, destination: Destination) -> Destination:
    settings = {**destination.settings, "access_token": TOKEN, "base_url": sandbox.url}
    return replace(destination, name="google-ads-sandbox", settings=settings)


def lead(make_event: MakeEvent, event_id: str, **fields: object) -> event_pb2.ConversionEvent:
    """Enhanced conversions for leads: no click id, a gmail address and a national phone number."""
    user = event_pb2.UserData(emails=[" Jane.Doe+leads@GMail.com "], phones=["(650) 555-1212"], country="US")
    return make_event(
        event_id,
        event_name="Lead",
        click_ids=event_pb2.ClickIds(),
        user_data=user,
        order_id=event_id,
        **fields,
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_click_and_lead_conversions_are_uploaded_and_recorded_hashed(
    connector: GoogleAdsConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    batch = [
        connector.prepare(event, sandbox_destination)
        for event in (make_event("order-1", order_id="order-1"), lead(make_event, "lead-1"))
    ]
    [request] = connector.build_requests(batch, sandbox_destination)
    outcomes = await deliver(connector, request)
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [
        ("order-1", DELIVERED),
        ("lead-1", DELIVERED),
    ]
    async with SandboxControl(sandbox.url) as control:
        recorded = await control.events("google_ads", CUSTOMER)
    assert [row["orderId"] for row in recorded.events] == ["order-1", "lead-1"]
    assert recorded.events[0]["conversionAction"] == f"customers/{CUSTOMER}/conversionActions/987654321"
    # Google's normalisation, checked on what the platform received: gmail without dots and
    # +suffix (§2C, G10), the phone in E.164 with '+'.
    assert recorded.events[1]["userIdentifiers"] == [
        {"hashedEmail": sha256("janedoe@gmail.com"), "userIdentifierSource": "FIRST_PARTY"},
        {"hashedPhoneNumber": sha256("+16505551212"), "userIdentifierSource": "FIRST_PARTY"},
    ]


async def test_test_events_are_validated_only_and_recorded_nowhere_live(
    connector: GoogleAdsConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    prepared = connector.prepare(make_event("t-1", order_id="t-1", test_mode=True), sandbox_destination)
    [request] = connector.build_requests([prepared], sandbox_destination)
    [outcome] = await deliver(connector, request)
    assert (outcome.kind, outcome.message) == (DELIVERED, VALIDATED_MESSAGE)
    async with SandboxControl(sandbox.url) as control:
        assert (await control.events("google_ads", CUSTOMER)).events == []
        assert len((await control.events("google_ads", CUSTOMER, test=True)).events) == 1
        assert (await control.stats())["google_ads"]["accepted_events"] == 0


async def test_a_refused_token_pauses_the_destination_instead_of_rejecting_the_events(
    connector: GoogleAdsConnector, sandbox_destination: Destination, make_event: MakeEvent
) -> None:
    wrong = replace(sandbox_destination, settings={**sandbox_destination.settings, "access_token": "expired"})
    [request] = connector.build_requests([connector.prepare(make_event("a", order_id="a"), wrong)], wrong)
    [outcome] = await deliver(connector, request)
    assert (outcome.kind, outcome.credentials) == (RETRY, True)
    assert outcome.code == "authenticationError.OAUTH_TOKEN_INVALID"


async def test_one_bad_row_is_rejected_by_its_index_and_the_others_delivered(
    connector: GoogleAdsConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    """The policy would skip an event past the 90-day window; here it slips through to show the
    partial-failure path end to end."""
    stale = make_event("old", order_id="old")
    stale.event_time.FromSeconds(int(EVENT_TIME.timestamp()) - 91 * 86_400)
    events = [make_event("ok-1", order_id="ok-1"), stale, lead(make_event, "ok-2")]
    [request] = connector.build_requests(
        [connector.prepare(event, sandbox_destination) for event in events], sandbox_destination
    )
    outcomes = await deliver(connector, request)
    assert [(outcome.event_id, outcome.kind, outcome.field) for outcome in outcomes] == [
        ("ok-1", DELIVERED, ""),
        ("old", REJECTED, "conversion_date_time"),
        ("ok-2", DELIVERED, ""),
    ]
    assert outcomes[1].code == "conversionUploadError.EXPIRED_EVENT"
    async with SandboxControl(sandbox.url) as control:
        recorded = await control.events("google_ads", CUSTOMER)
    assert [row["orderId"] for row in recorded.events] == ["ok-1", "ok-2"]


async def test_a_resent_batch_is_delivered_as_google_already_holds_it(
    connector: GoogleAdsConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    """A retry after a lost answer: Google's ORDER_ID_ALREADY_IN_USE means it has the conversion."""
    [request] = connector.build_requests(
        [connector.prepare(make_event("order-9", order_id="order-9"), sandbox_destination)],
        sandbox_destination,
    )
    assert [outcome.kind for outcome in await deliver(connector, request)] == [DELIVERED]
    [again] = await deliver(connector, request)
    assert (again.kind, again.code) == (DELIVERED, "conversionUploadError.ORDER_ID_ALREADY_IN_USE")
    async with SandboxControl(sandbox.url) as control:
        recorded = await control.events("google_ads", CUSTOMER)
    assert (len(recorded.events), recorded.duplicates) == (1, 1)


async def test_injected_throttling_is_retried_after_googles_delay(
    connector: GoogleAdsConnector,
    sandbox: SandboxServer,
    sandbox_destination: Destination,
    make_event: MakeEvent,
) -> None:
    async with SandboxControl(sandbox.url) as control:
        await control.inject(platform="google_ads", status=429, retry_after=9, count=1)
    [request] = connector.build_requests(
        [connector.prepare(make_event("a", order_id="a"), sandbox_destination)], sandbox_destination
    )
    [outcome] = await deliver(connector, request)
    assert (outcome.kind, outcome.retry_after, outcome.code, outcome.credentials) == (
        RETRY,
        9.0,
        "RESOURCE_EXHAUSTED",
        False,
    )
