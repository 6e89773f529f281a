"""prepare(): Meta's data[i] object, the identifiers it carries, and no raw personal value anywhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination
from signalmesh.normalize.text import sha256_hex
from signalmesh.v1 import event_pb2

from signalmesh_meta.connector import MetaConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]

RAW_USER = event_pb2.UserData(
    emails=[" Jane.Doe@Example.COM ", "jane.doe@example.com", "jwork@example.org"],
    phones=["(650) 555-1212"],
    first_name="Jäne",
    last_name="O'Brien-Smythe",
    gender="female",
    date_of_birth="1985-07-14",
    city="Mountain View",
    state="California",
    zip="94035-1234",
    country="United States",
    external_ids=["crm-user-778899"],
    client_ip_address="203.0.113.7",
    client_user_agent="Mozilla/5.0 (X11; Linux x86_64)",
)


def data_of(prepared: event_pb2.PreparedEvent) -> dict[str, Any]:
    payload = json.loads(prepared.payload_json)
    assert isinstance(payload, dict)
    return payload


def test_user_data_is_normalised_and_hashed_by_meta_rules(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(user_data=RAW_USER), destination)
    user_data = data_of(prepared)["user_data"]
    assert user_data["em"] == [sha256_hex("jane.doe@example.com"), sha256_hex("jwork@example.org")]
    assert user_data["ph"] == [sha256_hex("16505551212")]
    assert user_data["fn"] == sha256_hex("jäne")
    assert user_data["ln"] == sha256_hex("obriensmythe")
    assert user_data["ge"] == sha256_hex("f")
    assert user_data["db"] == sha256_hex("19850714")
    assert user_data["ct"] == sha256_hex("mountainview")
    assert user_data["st"] == sha256_hex("ca")
    assert user_data["zp"] == sha256_hex("94035")
    assert user_data["country"] == sha256_hex("us")
    assert user_data["external_id"] == [sha256_hex("crm-user-778899")]
    # Meta: IP and user agent are sent raw.
    assert user_data["client_ip_address"] == "203.0.113.7"
    assert user_data["client_user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"


def test_event_fields_and_copied_metadata(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    event = make_event(
        "order-1", test_mode=True, consent=consent, action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    )
    prepared = connector.prepare(event, destination)
    data = data_of(prepared)
    assert data["event_name"] == "Purchase"
    assert data["event_id"] == "order-1"
    assert data["event_time"] == event.event_time.seconds == 1_795_176_000
    assert data["action_source"] == "physical_store"
    assert data["event_source_url"] == "https://shop.example/checkout"
    assert (prepared.event_id, prepared.event_name, prepared.destination, prepared.connector) == (
        "order-1",
        "Purchase",
        "meta-prod",
        "meta",
    )
    assert prepared.event_time == event.event_time
    assert prepared.action_source == event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    assert prepared.test_mode is True
    assert prepared.consent == consent


def test_identifiers_name_the_meta_keys_present_sorted(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(
        make_event(user_data=RAW_USER, click_ids=event_pb2.ClickIds(fbp="fb.1.1596403881668.2")), destination
    )
    assert list(prepared.identifiers) == [
        "client_ip_address",
        "client_user_agent",
        "country",
        "ct",
        "db",
        "em",
        "event_source_url",
        "external_id",
        "fbp",
        "fn",
        "ge",
        "ln",
        "ph",
        "st",
        "zp",
    ]


def test_values_that_normalise_to_nothing_are_left_out(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(emails=["not-an-email"], phones=["6505551212"], gender="x", country="Atlantis")
    prepared = connector.prepare(make_event(user_data=user, event_source_url=""), destination)
    assert data_of(prepared)["user_data"] == {}
    assert list(prepared.identifiers) == []


def test_national_phone_takes_its_country_code_from_the_event_country(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(phones=["020 7183 8750"], country="GB")
    prepared = connector.prepare(make_event(user_data=user), destination)
    assert data_of(prepared)["user_data"]["ph"] == [sha256_hex("442071838750")]


def test_already_hashed_values_pass_through(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    email_digest = sha256_hex("jane.doe@example.com")
    country_digest = sha256_hex("us")
    user = event_pb2.UserData(emails=[email_digest], country=country_digest, state="California")
    user_data = data_of(connector.prepare(make_event(user_data=user), destination))["user_data"]
    assert user_data["em"] == [email_digest]
    assert user_data["country"] == country_digest
    assert user_data["st"] == sha256_hex("ca")


def test_fbc_cookie_is_sent_as_given(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    click_ids = event_pb2.ClickIds(fbc="fb.1.1554763741205.AbCdEf", fbclid="Other")
    click_ids.click_time.FromSeconds(1_700_000_000)
    prepared = connector.prepare(make_event(click_ids=click_ids), destination)
    assert data_of(prepared)["user_data"]["fbc"] == "fb.1.1554763741205.AbCdEf"
    assert "fbc" in prepared.identifiers


@pytest.mark.parametrize(
    "malformed",
    [
        "fb.1.1554763741.AbCdEf",  # creation time in seconds: Meta refuses it
        "IwAR2xYz",  # a bare fbclid where the cookie belongs
        "fb.1.1554763741205.",  # no click id after the time
    ],
)
def test_a_malformed_fbc_or_fbp_is_left_out_and_the_rest_is_sent(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent, malformed: str
) -> None:
    """Meta would refuse the whole event for it: the cookie alone is dropped."""
    for name in ("fbc", "fbp"):
        prepared = connector.prepare(
            make_event(user_data=RAW_USER, click_ids=event_pb2.ClickIds(**{name: malformed})), destination
        )
        user_data = data_of(prepared)["user_data"]
        assert name not in user_data and name not in prepared.identifiers
        assert "em" in user_data and "client_user_agent" in user_data
        assert malformed.encode() not in prepared.payload_json


def test_a_malformed_fbc_is_not_replaced_by_one_built_from_fbclid(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """fbclid builds an fbc only when no cookie was sent, as before: the cookie is the client's
    statement of the click, and an unusable one is dropped rather than second-guessed."""
    click_ids = event_pb2.ClickIds(fbc="fb.1.1554763741.AbCdEf", fbclid="Other")
    click_ids.click_time.FromSeconds(1_700_000_000)
    prepared = connector.prepare(make_event(click_ids=click_ids), destination)
    assert "fbc" not in data_of(prepared)["user_data"]


def test_fbc_is_built_from_fbclid_and_click_time_keeping_case(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    click_ids = event_pb2.ClickIds(fbclid="IwAR2xYz-AbC")
    click_ids.click_time.CopyFrom(timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=123_456_789))
    prepared = connector.prepare(make_event(click_ids=click_ids), destination)
    assert data_of(prepared)["user_data"]["fbc"] == "fb.1.1700000000123.IwAR2xYz-AbC"


def test_fbclid_without_click_time_builds_no_fbc(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """The creation time is never invented: without click_time, fbc is left out."""
    prepared = connector.prepare(make_event(click_ids=event_pb2.ClickIds(fbclid="IwAR2xYz")), destination)
    assert "fbc" not in data_of(prepared)["user_data"]
    assert "fbc" not in prepared.identifiers


def test_custom_data_carries_value_currency_order_and_contents(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(
        value="129.99",
        currency="eur",
        order_id="A-1001",
        contents=[
            event_pb2.Content(id="sku-1", quantity=2, item_price="64.995", delivery_category="home_delivery")
        ],
    )
    event.custom_properties.update({"coupon": "WINTER", "value": 1, "tier": 3})
    custom = data_of(connector.prepare(event, destination))["custom_data"]
    assert custom == {
        "value": 129.99,
        "currency": "EUR",
        "order_id": "A-1001",
        "contents": [
            {"id": "sku-1", "quantity": 2, "item_price": 64.995, "delivery_category": "home_delivery"}
        ],
        "coupon": "WINTER",
        "tier": 3,
    }


def test_event_without_custom_fields_has_no_custom_data(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    assert "custom_data" not in data_of(connector.prepare(make_event(), destination))


def test_no_raw_personal_value_appears_in_the_prepared_event(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Serialise the whole PreparedEvent and search its bytes for every raw and normalised value."""
    event = make_event(user_data=RAW_USER)
    serialized = connector.prepare(event, destination).SerializeToString().lower()
    personal = [
        *RAW_USER.emails,
        *RAW_USER.phones,
        RAW_USER.first_name,
        RAW_USER.last_name,
        RAW_USER.gender,
        RAW_USER.date_of_birth,
        RAW_USER.city,
        RAW_USER.state,
        RAW_USER.zip,
        RAW_USER.country,
        *RAW_USER.external_ids,
        # Normalised forms too (those that cannot occur by chance inside a hex digest).
        "jane.doe",
        "16505551212",
        "6505551212",
        "jäne",
        "obrien",
        "19850714",
        "mountainview",
        "94035",
        "crm-user",
    ]
    for value in personal:
        assert value.strip().lower().encode("utf-8") not in serialized, value
