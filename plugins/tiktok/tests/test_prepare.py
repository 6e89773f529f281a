"""prepare(): TikTok's data[i] object, the identifiers it carries, and no raw personal value anywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_tiktok.connector import TikTokConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]

RAW_USER = event_pb2.UserData(
    emails=[" Jane.Doe@Example.COM ", "jane.doe@example.com", "jwork@example.org"],
    phones=["(650) 555-1212"],
    first_name="Mary Ann",
    last_name="O'Brien",
    gender="female",
    date_of_birth="1985-07-14",
    city="Mountain View",
    state="CA",
    zip="94035",
    country="US",
    external_ids=["crm-user-778899"],
    client_ip_address="203.0.113.7",
    client_user_agent="Mozilla/5.0 (X11; Linux x86_64)",
)
CLICK_IDS = event_pb2.ClickIds(ttclid="E.C.P.AbC123", ttp="2YvOuhZ8Lx3ZkDuWbzq5tvbe9Zc", fbclid="IwAR")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_of(prepared: event_pb2.PreparedEvent) -> dict[str, Any]:
    payload = json.loads(prepared.payload_json)
    assert isinstance(payload, dict)
    return payload


def test_user_is_hashed_by_tiktok_rules_and_ids_stay_raw(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(user_data=RAW_USER, click_ids=CLICK_IDS), destination)
    assert data_of(prepared)["user"] == {
        # §3.2: email, phone, external_id are SHA-256 arrays; duplicates after normalising collapse.
        "email": [sha256("jane.doe@example.com"), sha256("jwork@example.org")],
        "phone": [sha256("+16505551212")],
        "external_id": [sha256("crm-user-778899")],
        # §3.2: ttclid, ttp, ip and user_agent are raw.
        "ttclid": "E.C.P.AbC123",
        "ttp": "2YvOuhZ8Lx3ZkDuWbzq5tvbe9Zc",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        # Segment [3P]: names and zip hashed (lower-case, spaces removed); places raw.
        "first_name": sha256("maryann"),
        "last_name": sha256("o'brien"),
        "zip_code": sha256("94035"),
        "city": "mountainview",
        "state": "ca",
        "country": "us",
    }


def test_event_fields_and_copied_metadata(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    event = make_event(
        "order-1", test_mode=True, consent=consent, action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    )
    prepared = connector.prepare(event, destination)
    data = data_of(prepared)
    assert data["event"] == "CompletePayment"
    assert data["event_id"] == "order-1"
    assert data["event_time"] == event.event_time.seconds == 1_795_176_000
    assert data["page"] == {"url": "https://shop.example/checkout"}
    assert data["limited_data_use"] is False
    # The event source is the request's, not the event's: build_requests groups on it.
    assert "event_source" not in data
    assert (prepared.event_id, prepared.event_name, prepared.destination, prepared.connector) == (
        "order-1",
        "Purchase",
        "tiktok-prod",
        "tiktok",
    )
    assert prepared.event_time == event.event_time
    assert prepared.action_source == event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    assert prepared.test_mode is True
    assert prepared.consent == consent


@pytest.mark.parametrize(
    ("ours", "tiktoks"),
    [
        ("Purchase", "CompletePayment"),
        ("Lead", "Lead"),
        ("CompleteRegistration", "CompleteRegistration"),
        ("AddToCart", "AddToCart"),
        ("InitiateCheckout", "InitiateCheckout"),
        ("Subscribe", "Subscribe"),
        ("Contact", "Contact"),
        ("SubmitApplication", "SubmitApplication"),
        ("ViewContent", "ViewContent"),
        # Custom names pass through unchanged (TikTok records them but cannot optimise on them).
        ("LoyaltyTierUpgrade", "LoyaltyTierUpgrade"),
        ("purchase", "purchase"),
    ],
)
def test_event_names_map_to_tiktok_standard_events(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent, ours: str, tiktoks: str
) -> None:
    prepared = connector.prepare(make_event(event_name=ours), destination)
    assert data_of(prepared)["event"] == tiktoks
    assert prepared.event_name == ours


def test_identifiers_name_the_tiktok_keys_present_sorted(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(user_data=RAW_USER, click_ids=CLICK_IDS), destination)
    assert list(prepared.identifiers) == [
        "email",
        "external_id",
        "ip",
        "phone",
        "ttclid",
        "ttp",
        "user_agent",
    ]
    bare = connector.prepare(make_event(user_data=event_pb2.UserData(emails=["a@example.com"])), destination)
    assert list(bare.identifiers) == ["email"]


def test_values_that_normalise_to_nothing_are_left_out(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(emails=["not-an-email"], phones=["555-1212"], first_name="  ", city="--")
    prepared = connector.prepare(make_event(user_data=user), destination)
    assert data_of(prepared)["user"] == {}
    assert list(prepared.identifiers) == []


def test_already_hashed_values_pass_through(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    email_digest, phone_digest = sha256("jane.doe@example.com"), sha256("+16505551212")
    user = event_pb2.UserData(
        emails=[email_digest.upper()], phones=[phone_digest], external_ids=[sha256("42")]
    )
    sent = data_of(connector.prepare(make_event(user_data=user), destination))["user"]
    assert sent == {"email": [email_digest], "phone": [phone_digest], "external_id": [sha256("42")]}


def test_properties_carry_value_currency_order_and_contents(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(
        value="129.99",
        currency="eur",
        order_id="A-1001",
        contents=[
            event_pb2.Content(id="sku-1", quantity=2, item_price="64.995", name="Mug", category="Kitchen")
        ],
    )
    event.custom_properties.update({"coupon": "WINTER", "value": 1})
    assert data_of(connector.prepare(event, destination))["properties"] == {
        "value": 129.99,
        "currency": "EUR",
        "order_id": "A-1001",
        "contents": [
            {
                "content_id": "sku-1",
                "quantity": 2,
                "price": 64.995,
                "content_name": "Mug",
                "content_category": "Kitchen",
            }
        ],
        "content_type": "product",
        "coupon": "WINTER",
    }


def test_event_without_properties_or_url_sends_neither(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    data = data_of(connector.prepare(make_event(event_source_url=""), destination))
    assert "properties" not in data and "page" not in data


def test_denied_ad_user_data_sets_limited_data_use(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Policy skips such events before sending; if one is prepared, it still says so."""
    denied = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_DENIED)
    assert data_of(connector.prepare(make_event(consent=denied), destination))["limited_data_use"] is True


def test_no_raw_personal_value_appears_in_the_prepared_event(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Serialise the whole PreparedEvent and search its bytes for every raw and normalised value.

    City, state and country are left out of the search: TikTok takes them raw (§3.2, §6.4 [3P]).
    Gender and date of birth have no TikTok key and are never sent.
    """
    serialized = connector.prepare(make_event(user_data=RAW_USER), destination).SerializeToString().lower()
    personal = [
        *RAW_USER.emails,
        *RAW_USER.phones,
        RAW_USER.first_name,
        RAW_USER.last_name,
        RAW_USER.gender,
        RAW_USER.date_of_birth,
        RAW_USER.zip,
        *RAW_USER.external_ids,
        # Normalised forms too (those that cannot occur by chance inside a hex digest).
        "jane.doe",
        "jwork",
        "+16505551212",
        "6505551212",
        "maryann",
        "brien",
        "19850714",
        "94035",
        "crm-user",
    ]
    for value in personal:
        assert value.strip().lower().encode("utf-8") not in serialized, value


def test_national_phone_takes_its_country_code_from_the_event_country(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(phones=["020 7183 8750"], country="United Kingdom")
    sent = data_of(connector.prepare(make_event(user_data=user), destination))["user"]
    assert sent == {"phone": [sha256("+442071838750")], "country": "gb"}
