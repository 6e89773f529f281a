"""One conversion, every platform: explicit routing, one trace with a branch per destination, and
a status line per destination — each connector talking real HTTP to its sandbox endpoint."""

from __future__ import annotations

import time
from typing import Any

import pytest
from signalmesh.telemetry import tracing
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, STRICT_PIXEL, make_event
from tests.integration.mesh.test_cli import signalmesh

TIKTOK_PIXEL_A, TIKTOK_PIXEL_B = "CTIKTOKPIXELAAAAAAAA", "CTIKTOKPIXELBBBBBBBB"
GOOGLE_ADS_CUSTOMER = "1234567890"
WEBHOOK_PATH = "/webhook/crm"
GA4_MEASUREMENT_ID = "G-SANDBOX1"


@pytest.fixture
def mesh_overrides():
    """One destination per connector, plus a second TikTok pixel, all on the sandbox."""

    def settings(url: str) -> dict[str, Any]:
        destinations = {
            "tiktok_a": {
                "connector": "tiktok",
                "pixel_code": TIKTOK_PIXEL_A,
                "access_token": "sandbox-token",
                "base_url": url,
            },
            "tiktok_b": {
                "connector": "tiktok",
                "pixel_code": TIKTOK_PIXEL_B,
                "access_token": "sandbox-token",
                "base_url": url,
            },
            "linkedin": {
                "connector": "linkedin",
                "access_token": "sandbox-token",
                "base_url": url,
                "conversion_rules": {"Purchase": "123456"},
            },
            "google_ads": {
                "connector": "google_ads",
                "customer_id": GOOGLE_ADS_CUSTOMER,
                "access_token": "sandbox-token",
                "developer_token": "sandbox-developer-token",
                "base_url": url,
                "conversion_actions": {"Purchase": "987654321"},
            },
            "crm": {"connector": "webhook", "url": f"{url}{WEBHOOK_PATH}", "secret": "crm-signing-secret"},
            "ga4": {
                "connector": "ga4",
                "measurement_id": GA4_MEASUREMENT_ID,
                "api_secret": "sandbox-token",
                "base_url": url,
            },
        }
        allow = ["meta", "ga4", "tiktok", "linkedin", "google_ads", "webhook"]
        return {"plugins": {"allow": allow}, "destinations": destinations}

    return settings


# Meta, TikTok, LinkedIn, Google Ads, GA4 and a webhook: every connector in the seed.
EVERY = ("meta_strict", "tiktok_a", "linkedin", "google_ads", "ga4", "crm")


def clicked_everywhere(event_id: str, **fields: Any) -> event_pb2.ConversionEvent:
    """A Purchase carrying each platform's click id (and GA's client id), so strict sends it everywhere."""
    click_ids = event_pb2.ClickIds(
        fbc=f"fb.1.{int(time.time() * 1000)}.IwAR-click",
        ttclid="E.C.P.tiktok-click-1",
        li_fat_id="df5a6a5c-7f0e-4e8c-9a2c-0c1d2e3f4a5b",
        gclid="Cj0KCQjw-google-click-1",
        ga_client_id="1234567890.1700000000",
    )
    return make_event(event_id, click_ids=click_ids, order_id=f"order-{event_id}", **fields)


async def test_one_event_to_every_platform_is_one_trace_with_a_branch_per_destination(mesh, span_exporter):
    span_exporter.clear()
    response = await mesh.send(clicked_everywhere("everywhere-1", destinations=list(EVERY)))
    [result] = response.results
    assert {decision.destination: decision.decision for decision in result.decisions} == dict.fromkeys(
        EVERY, policy_pb2.DECISION_SEND
    )
    statuses = await mesh.wait_delivered("everywhere-1", *EVERY)
    assert set(statuses) == set(EVERY), "an event routed to six destinations must not reach a seventh"

    spans = [span for span in span_exporter.get_finished_spans() if span.name.startswith("deliver ")]
    mine = [span for span in spans if span.attributes.get(tracing.EVENT_ID) == "everywhere-1"]
    assert sorted(span.attributes[tracing.DESTINATION] for span in mine) == sorted(EVERY)
    assert len({span.context.trace_id for span in mine}) == 1, "the deliveries are in different traces"
    [trace_id] = {format(span.context.trace_id, "032x") for span in mine}
    assert {item.trace_id for item in statuses.values()} == {trace_id}
    http_calls = [
        span
        for span in span_exporter.get_finished_spans()
        if span.name.startswith("POST ") and span.context.trace_id == mine[0].context.trace_id
    ]
    assert sorted(span.attributes[tracing.DESTINATION] for span in http_calls) == sorted(EVERY)

    recorded = {
        "meta": (await mesh.sandbox.events("meta", STRICT_PIXEL)).events,
        "tiktok": (await mesh.sandbox.events("tiktok", TIKTOK_PIXEL_A)).events,
        "linkedin": (await mesh.sandbox.events("linkedin", "urn:lla:llaPartnerConversion:123456")).events,
        "google_ads": (await mesh.sandbox.events("google_ads", GOOGLE_ADS_CUSTOMER)).events,
        "webhook": (await mesh.sandbox.events("webhook", "crm")).events,
        "ga4": (await mesh.sandbox.events("ga4", GA4_MEASUREMENT_ID)).events,
    }
    assert {platform: len(events) for platform, events in recorded.items()} == dict.fromkeys(recorded, 1)

    code, output = await signalmesh(
        "status", "everywhere-1", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0
    lines = [line for line in output.splitlines() if any(f" {name} " in line for name in EVERY)]
    assert len(lines) == len(EVERY), output
    assert all("SEND" in line and "delivered" in line for line in lines), output


async def test_an_event_for_pixel_a_never_reaches_pixel_b_of_the_same_platform(mesh):
    await mesh.send(
        clicked_everywhere("only-a-1", destinations=["tiktok_a", "meta_strict"]),
        clicked_everywhere("only-b-1", destinations=["tiktok_b", "meta_send_all"]),
    )
    await mesh.wait_delivered("only-a-1", "tiktok_a", "meta_strict")
    await mesh.wait_delivered("only-b-1", "tiktok_b", "meta_send_all")
    assert [item.destination for item in (await mesh.status("only-a-1")).destinations] == [
        "meta_strict",
        "tiktok_a",
    ]

    def ids(events: list[dict[str, Any]]) -> set[str]:
        return {event.get("event_id") for event in events}

    assert ids((await mesh.sandbox.events("tiktok", TIKTOK_PIXEL_A)).events) == {"only-a-1"}
    assert ids((await mesh.sandbox.events("tiktok", TIKTOK_PIXEL_B)).events) == {"only-b-1"}
    assert ids((await mesh.sandbox.events("meta", STRICT_PIXEL)).events) == {"only-a-1"}
    assert ids((await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events) == {"only-b-1"}


async def test_an_unrouted_event_goes_to_every_configured_destination_and_status_says_why(mesh):
    """No `destinations` on the event: the configured set, each decided on its own rules."""
    event = make_event("organic-1")  # no click id anywhere
    response = await mesh.send(event)
    decisions = {decision.destination: decision for decision in response.results[0].decisions}
    assert decisions["meta_send_all"].decision == policy_pb2.DECISION_SEND
    for strict in ("meta_strict", "tiktok_a", "linkedin"):
        assert decisions[strict].decision == policy_pb2.DECISION_SKIP, strict
        assert decisions[strict].reason == policy_pb2.REASON_MISSING_CLICK_ID, strict
    # Google Ads strict takes the hashed email instead of a click (enhanced conversions), and says so.
    assert decisions["google_ads"].decision == policy_pb2.DECISION_SEND
    assert (
        decisions["google_ads"].detail
        == "eligible (strict): enhanced conversions: a hashed email, no click id"
    )
    statuses = {item.destination: item for item in (await mesh.status("organic-1")).destinations}
    assert statuses["meta_strict"].state == gateway_pb2.DELIVERY_STATE_SKIPPED
    assert "enhanced conversions" in statuses["google_ads"].detail
    code, output = await signalmesh(
        "status", "organic-1", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0 and "enhanced" in output and "hashed email" in " ".join(output.split()), output
