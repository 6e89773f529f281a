"""prepare: our event → GA4's ``events[i]`` object and its request-level part (platforms.md §2A)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from google.protobuf import struct_pb2
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_ga4.connector import Ga4Connector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
# conftest's make_event sends this GA4 client id.
CLIENT_ID = "1234567890.1795170000"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def payload(
    connector: Ga4Connector, event: event_pb2.ConversionEvent, destination: Destination
) -> dict[str, Any]:
    return json.loads(connector.prepare(event, destination).payload_json)


def test_purchase_maps_to_purchase_with_value_currency_and_transaction_id(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(value="29.90", currency="usd", order_id="A-1")
    result = payload(connector, event, destination)["event"]
    assert result["name"] == "purchase"
    assert result["params"] == {
        "currency": "USD",
        "event_id": "evt-1",
        "transaction_id": "A-1",
        "value": 29.9,
    }
    # GA4: timestamp_micros in µs (§2A "Timestamps").
    assert result["timestamp_micros"] == 1_795_176_000_000_000


def test_purchase_without_order_id_uses_the_event_id_as_transaction_id(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    assert payload(connector, make_event("e-9"), destination)["event"]["params"]["transaction_id"] == "e-9"


def test_standard_and_custom_event_names(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    names = {
        name: payload(connector, make_event(event_name=name), destination)["event"]["name"]
        for name in (
            "Lead",
            "CompleteRegistration",
            "AddToCart",
            "InitiateCheckout",
            "ViewContent",
            "BookDemo",
        )
    }
    assert names == {
        "Lead": "generate_lead",
        "CompleteRegistration": "sign_up",
        "AddToCart": "add_to_cart",
        "InitiateCheckout": "begin_checkout",
        "ViewContent": "view_item",
        "BookDemo": "book_demo",
    }


def test_destination_event_names_override_the_mapping(connector: Ga4Connector, make_event: MakeEvent) -> None:
    destination = Destination(
        "ga4", "ga4", {"measurement_id": "G-1", "api_secret": "s", "event_names.Lead": "qualify_lead"}
    )
    assert payload(connector, make_event(event_name="Lead"), destination)["event"]["name"] == "qualify_lead"


def test_user_data_is_hashed_by_googles_rules_and_the_address_place_is_clear(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(
        emails=["Jane.Doe+shop@gmail.com"],
        phones=["(650) 555-1212"],
        first_name="Jane",
        last_name="Doe",
        city="St. Louis",
        state="MO",
        zip="63101",
        country="us",
    )
    prepared = connector.prepare(make_event(user_data=user), destination)
    user_data = json.loads(prepared.payload_json)["request"]["user_data"]
    assert user_data == {
        "sha256_email_address": [sha256("janedoe@gmail.com")],
        "sha256_phone_number": [sha256("+16505551212")],
        "address": [
            {
                "sha256_first_name": sha256("jane"),
                "sha256_last_name": sha256("doe"),
                "city": "st louis",
                "region": "mo",
                "postal_code": "63101",
                "country": "US",
            }
        ],
    }
    assert list(prepared.identifiers) == ["address", "client_id", "email", "phone"]


def test_at_most_three_emails_are_sent(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(emails=[f"user{index}@example.com" for index in range(5)])
    emails = payload(connector, make_event(user_data=user), destination)["request"]["user_data"][
        "sha256_email_address"
    ]
    assert emails == [sha256(f"user{index}@example.com") for index in range(3)]


def test_place_alone_is_not_an_address_identifier(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(
        make_event(user_data=event_pb2.UserData(city="Paris", country="FR")), destination
    )
    assert list(prepared.identifiers) == ["client_id"]


def test_ga_cookie_value_is_cut_to_the_client_id(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(click_ids=event_pb2.ClickIds(ga_client_id=f"GA1.1.{CLIENT_ID}"))
    assert payload(connector, event, destination)["request"]["client_id"] == CLIENT_ID


def test_no_client_id_leaves_it_out_of_identifiers(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(click_ids=event_pb2.ClickIds()), destination)
    assert "client_id" not in prepared.identifiers
    assert "client_id" not in json.loads(prepared.payload_json)["request"]


def test_session_id_and_engagement_time_are_carried_when_given(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    click_ids = event_pb2.ClickIds(
        ga_client_id=CLIENT_ID, ga_session_id="1795170000", ga_engagement_time_msec=1500
    )
    params = payload(connector, make_event(click_ids=click_ids), destination)["event"]["params"]
    assert (params["session_id"], params["engagement_time_msec"]) == ("1795170000", 1500)
    bare = payload(connector, make_event(), destination)["event"]["params"]
    assert "session_id" not in bare and "engagement_time_msec" not in bare


def test_user_id_is_the_first_external_id_unless_it_is_contact_data(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    def user_id(external_id: str) -> str | None:
        event = make_event(user_data=event_pb2.UserData(external_ids=[external_id]))
        return payload(connector, event, destination)["request"].get("user_id")

    assert user_id("crm-42") == "crm-42"
    assert user_id("100234") == "100234"
    assert user_id("jane@example.com") is None
    assert user_id("+1 650 555 1212") is None


def test_consent_is_passed_as_granted_or_denied(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    assert payload(connector, make_event(consent=consent), destination)["request"]["consent"] == {
        "ad_user_data": "GRANTED"
    }


def test_items_and_scalar_custom_properties_become_params(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    custom = struct_pb2.Struct()
    custom.update({"coupon": "SUMMER", "bad-name": "x", "nested": {"a": 1}, "ga_reserved": "y"})
    contents = [event_pb2.Content(id="sku-1", quantity=2, item_price="9.50"), event_pb2.Content(quantity=1)]
    params = payload(connector, make_event(custom_properties=custom, contents=contents), destination)[
        "event"
    ]["params"]
    assert params["coupon"] == "SUMMER"
    assert not {"bad-name", "nested", "ga_reserved"} & params.keys()
    assert params["items"] == [{"item_id": "sku-1", "price": 9.5, "quantity": 2}]


def test_test_mode_is_carried_on_the_prepared_event(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    assert connector.prepare(make_event(test_mode=True), destination).test_mode is True
