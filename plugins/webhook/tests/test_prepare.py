"""prepare(): the README's per-event object, the identifiers it carries, and nothing raw that is personal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.normalize.text import sha256_hex
from signalmesh.v1 import event_pb2

from signalmesh_webhook.connector import WebhookConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def payload_of(
    connector: WebhookConnector, event: event_pb2.ConversionEvent, destination: Destination
) -> Any:
    return json.loads(connector.prepare(event, destination).payload_json)


def test_payload_is_the_documented_object(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(
        ad_user_data=event_pb2.CONSENT_STATUS_GRANTED, ad_personalization=event_pb2.CONSENT_STATUS_DENIED
    )
    click_ids = event_pb2.ClickIds(gclid="Cj0KCQiA", fbp="fb.1.1.2")
    click_ids.click_time.FromSeconds(1_795_170_000)
    event = make_event(
        "order-1",
        value="129.990",
        currency="eur",
        order_id="A-1001",
        consent=consent,
        click_ids=click_ids,
        user_data=event_pb2.UserData(
            emails=[" Jane.Doe@Example.COM "],
            phones=["(650) 555-1212"],
            external_ids=[" User-42 "],
            first_name="Janet",
            country="US",
            client_ip_address="203.0.113.7",
        ),
    )
    event.custom_properties.update({"coupon": "WINTER", "tier": "gold"})
    assert payload_of(connector, event, destination) == {
        "event_id": "order-1",
        "event_name": "Purchase",
        "event_time": "2026-11-20T12:00:00Z",
        "action_source": "website",
        "value": "129.990",
        "currency": "EUR",
        "order_id": "A-1001",
        "test_mode": False,
        "user_data": {
            "email_sha256": [sha256_hex("jane.doe@example.com")],
            "phone_sha256": [sha256_hex("+16505551212")],
            "external_id_sha256": [sha256_hex("User-42")],
        },
        # Ad click ids raw; browser ids (fbp) are not click ids and are not sent.
        "click_ids": {"gclid": "Cj0KCQiA", "click_time": "2026-11-20T10:20:00Z"},
        "consent": {"ad_user_data": "granted", "ad_personalization": "denied"},
        "properties": {"coupon": "WINTER", "tier": "gold"},
    }


def test_value_stays_an_exact_decimal_string(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    payload = payload_of(connector, make_event(value="0.30000000000000001", currency="USD"), destination)
    assert payload["value"] == "0.30000000000000001"


def test_event_time_keeps_fractions_of_a_second(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event()
    event.event_time.nanos = 250_000_000
    assert payload_of(connector, event, destination)["event_time"] == "2026-11-20T12:00:00.250Z"


def test_minimal_event_has_only_the_always_present_fields(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(action_source=event_pb2.ACTION_SOURCE_UNSPECIFIED, test_mode=True)
    prepared = connector.prepare(event, destination)
    assert json.loads(prepared.payload_json) == {
        "event_id": "evt-1",
        "event_name": "Purchase",
        "event_time": "2026-11-20T12:00:00Z",
        "test_mode": True,
    }
    assert list(prepared.identifiers) == []
    assert prepared.test_mode is True


@pytest.mark.parametrize(
    ("user_data", "click_ids", "identifiers"),
    [
        (event_pb2.UserData(emails=["a@example.com"]), event_pb2.ClickIds(), ["email"]),
        (event_pb2.UserData(phones=["+44 20 7183 8750"]), event_pb2.ClickIds(), ["phone"]),
        (event_pb2.UserData(external_ids=["u1"]), event_pb2.ClickIds(), ["external_id"]),
        (event_pb2.UserData(), event_pb2.ClickIds(li_fat_id="abc"), ["click_id"]),
        (event_pb2.UserData(), event_pb2.ClickIds(fbclid="IwAR"), ["click_id"]),
        # Browser ids and unusable values identify nobody.
        (event_pb2.UserData(), event_pb2.ClickIds(fbp="fb.1.1.2", ttp="x"), []),
        (event_pb2.UserData(emails=["junk"], phones=["6505551212"]), event_pb2.ClickIds(), []),
    ],
)
def test_identifiers_name_what_the_payload_carries(
    connector: WebhookConnector,
    destination: Destination,
    make_event: MakeEvent,
    user_data: event_pb2.UserData,
    click_ids: event_pb2.ClickIds,
    identifiers: list[str],
) -> None:
    prepared = connector.prepare(make_event(user_data=user_data, click_ids=click_ids), destination)
    assert list(prepared.identifiers) == identifiers


def test_metadata_is_copied_to_the_prepared_event(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    event = make_event("order-9", consent=consent, action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE)
    prepared = connector.prepare(event, destination)
    assert (prepared.event_id, prepared.destination, prepared.connector) == ("order-9", "crm", "webhook")
    assert prepared.event_time == event.event_time
    assert prepared.action_source == event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    assert prepared.consent == consent


def test_no_raw_personal_value_is_in_the_prepared_event(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(
        emails=["Jane.Doe@Example.com"],
        phones=["(650) 555-1212"],
        first_name="Janet",
        last_name="Smythe",
        city="Springfield",
        zip="94035",
        date_of_birth="1985-07-14",
        country="US",
        external_ids=["crm-user-778899"],
        client_ip_address="203.0.113.7",
        client_user_agent="Mozilla/5.0",
    )
    serialized = connector.prepare(make_event(user_data=user), destination).SerializeToString().lower()
    for value in (
        "jane.doe",
        "6505551212",
        "janet",
        "smythe",
        "springfield",
        "94035",
        "1985",
        "crm-user",
        "203.0.113.7",
        "mozilla",
    ):
        assert value.encode() not in serialized, value
