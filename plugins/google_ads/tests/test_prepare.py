"""prepare(): Google's ClickConversion, the identifiers it carries, and no raw personal value anywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
GCLID = "Cj0KCQiA1234567890abcdef"  # the click id conftest's make_event gives every event
WBRAID = "wbraid_ABCDEFGHIJ1234"
GBRAID = "0AAAAAgbraidXYZ123"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conversion_of(prepared: event_pb2.PreparedEvent) -> dict[str, Any]:
    payload = json.loads(prepared.payload_json)
    assert isinstance(payload, dict)
    return payload


def test_purchase_becomes_a_complete_click_conversion(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(
        emails=["Cloudy.SanFrancisco+shopping@gmail.com"], phones=["(800) 555-0100"], country="US"
    )
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    event = make_event(user_data=user, order_id="order-42", currency="usd", consent=consent)
    prepared = connector.prepare(event, destination)
    assert conversion_of(prepared) == {
        "gclid": GCLID,
        # The dashes of 123-456-7890 are dropped: the API takes digits only (§2B).
        "conversionAction": "customers/1234567890/conversionActions/987654321",
        "conversionDateTime": "2026-11-20 12:00:00+00:00",
        "conversionValue": 29.99,
        "currencyCode": "USD",
        "orderId": "order-42",
        "userIdentifiers": [
            {"hashedEmail": sha256("cloudysanfrancisco@gmail.com"), "userIdentifierSource": "FIRST_PARTY"},
            {"hashedPhoneNumber": sha256("+18005550100"), "userIdentifierSource": "FIRST_PARTY"},
        ],
        "consent": {"adUserData": "GRANTED"},
    }
    assert list(prepared.identifiers) == ["click_id", "conversion_action", "email", "gclid", "phone"]
    assert (prepared.event_id, prepared.event_name, prepared.connector) == ("evt-1", "Purchase", "google_ads")


def test_conversion_date_time_is_utc_with_offset_and_whole_seconds(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Google Ads: yyyy-mm-dd hh:mm:ss±hh:mm; fractions dropped so a retry repeats the same text."""
    event = make_event()
    event.event_time.FromNanoseconds(1_795_176_000_750_000_000)  # 2026-11-20 12:00:00.75 UTC
    conversion = conversion_of(connector.prepare(event, destination))
    assert conversion["conversionDateTime"] == "2026-11-20 12:00:00+00:00"


@pytest.mark.parametrize(
    ("click_ids", "sent"),
    [
        ({"gclid": GCLID}, "gclid"),
        ({"wbraid": WBRAID}, "wbraid"),
        ({"gbraid": GBRAID}, "gbraid"),
        # The gateway refuses events with two Google click ids; the connector still never sends two.
        ({"gclid": GCLID, "wbraid": WBRAID, "gbraid": GBRAID}, "gclid"),
        ({"wbraid": WBRAID, "gbraid": GBRAID}, "wbraid"),
    ],
)
def test_exactly_one_click_id_is_sent_gclid_then_wbraid_then_gbraid(
    connector: GoogleAdsConnector,
    destination: Destination,
    make_event: MakeEvent,
    click_ids: dict[str, str],
    sent: str,
) -> None:
    prepared = connector.prepare(make_event(click_ids=event_pb2.ClickIds(**click_ids)), destination)
    conversion = conversion_of(prepared)
    assert [kind for kind in ("gclid", "wbraid", "gbraid") if kind in conversion] == [sent]
    assert conversion[sent] == click_ids[sent]
    assert {"click_id", sent} <= set(prepared.identifiers)
    assert not {"gclid", "wbraid", "gbraid"} - {sent} & set(prepared.identifiers)


def test_mapped_event_name_gets_its_conversion_action(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(event_name="Lead"), destination)
    assert conversion_of(prepared)["conversionAction"] == "customers/1234567890/conversionActions/555"
    assert "conversion_action" in prepared.identifiers


@pytest.mark.parametrize(
    ("event_name", "mapped_to"),
    [
        ("Subscribe", None),  # not in the table
        ("purchase", None),  # the table is case-sensitive, like the event names
        ("Contact", "not-a-number"),  # an id that cannot be a conversion action
    ],
)
def test_unmapped_event_is_prepared_without_a_conversion_action(
    connector: GoogleAdsConnector,
    destination: Destination,
    make_event: MakeEvent,
    event_name: str,
    mapped_to: str | None,
) -> None:
    mapping = {f"conversion_actions.{event_name}": mapped_to} if mapped_to else {}
    settings = {**destination.settings, **mapping}
    prepared = connector.prepare(make_event(event_name=event_name), replace(destination, settings=settings))
    assert prepared.event_id == "evt-1"
    assert "conversionAction" not in conversion_of(prepared)
    assert "conversion_action" not in prepared.identifiers


def test_at_most_five_user_identifiers_alternating_email_and_phone(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    emails = [f"person{index}@example.com" for index in range(6)]
    phones = ["+1 650 555 1212", "+44 20 7946 0958"]
    user = event_pb2.UserData(emails=emails, phones=phones)
    prepared = connector.prepare(make_event(user_data=user), destination)
    identifiers = conversion_of(prepared)["userIdentifiers"]
    assert [next(iter(identifier)) for identifier in identifiers] == [
        "hashedEmail",
        "hashedPhoneNumber",
        "hashedEmail",
        "hashedPhoneNumber",
        "hashedEmail",
    ]
    assert identifiers[1]["hashedPhoneNumber"] == sha256("+16505551212")
    assert identifiers[4]["hashedEmail"] == sha256("person2@example.com")


def test_same_email_in_two_spellings_is_sent_once(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    spellings = ["jane.doe@gmail.com", " JaneDoe@Gmail.com", sha256("janedoe@gmail.com")]
    user = event_pb2.UserData(emails=spellings)
    identifiers = conversion_of(connector.prepare(make_event(user_data=user), destination))["userIdentifiers"]
    expected = {"hashedEmail": sha256("janedoe@gmail.com"), "userIdentifierSource": "FIRST_PARTY"}
    assert identifiers == [expected]


def test_lead_without_click_id_carries_only_hashed_identifiers(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Enhanced conversions for leads: no click id, hashed email and phone (§2B)."""
    user = event_pb2.UserData(emails=["lead@example.com"], phones=["650 555 1212"], country="United States")
    event = make_event(
        event_name="Lead", click_ids=event_pb2.ClickIds(), user_data=user, value="", currency=""
    )
    prepared = connector.prepare(event, destination)
    conversion = conversion_of(prepared)
    assert not {"gclid", "wbraid", "gbraid", "conversionValue", "currencyCode"} & set(conversion)
    assert conversion["userIdentifiers"][1] == {
        "hashedPhoneNumber": sha256("+16505551212"),
        "userIdentifierSource": "FIRST_PARTY",
    }
    assert list(prepared.identifiers) == ["conversion_action", "email", "phone"]


def test_no_raw_personal_value_survives_prepare(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    user = event_pb2.UserData(
        emails=["Secret.Person+x@gmail.com"], phones=["+1 650 555 1212"], first_name="Secretina", country="US"
    )
    serialised = connector.prepare(make_event(user_data=user), destination).SerializeToString().lower()
    for raw in (b"secret.person", b"secretperson", b"gmail.com", b"6505551212", b"secretina"):
        assert raw not in serialised


@pytest.mark.parametrize(
    ("status", "sent"),
    [
        (event_pb2.CONSENT_STATUS_GRANTED, {"adUserData": "GRANTED"}),
        (event_pb2.CONSENT_STATUS_DENIED, {"adUserData": "DENIED"}),
        (event_pb2.CONSENT_STATUS_UNSPECIFIED, None),
    ],
)
def test_consent_is_sent_only_when_the_client_set_it(
    connector: GoogleAdsConnector,
    destination: Destination,
    make_event: MakeEvent,
    status: int,
    sent: dict[str, str] | None,
) -> None:
    event = make_event(consent=event_pb2.Consent(ad_user_data=status))
    assert conversion_of(connector.prepare(event, destination)).get("consent") == sent


def test_test_mode_event_time_and_consent_travel_with_the_prepared_event(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    event = make_event(test_mode=True, consent=consent)
    prepared = connector.prepare(event, destination)
    assert prepared.test_mode
    assert prepared.event_time == event.event_time
    assert prepared.consent == consent
