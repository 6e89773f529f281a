"""prepare(): LinkedIn's conversion event, the identifiers it carries, and no raw personal value anywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_linkedin.connector import LinkedInConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]

RAW_USER = event_pb2.UserData(
    emails=[" Jane.Doe@Example.COM ", "jwork@example.org"],
    phones=["(650) 555-1212"],
    first_name="Jäne",
    last_name="O'Brien-Smythe",
    gender="f",
    date_of_birth="1985-07-14",
    city="Mountain View",
    state="California",
    zip="94035-1234",
    country="US",
    external_ids=["crm-user-778899"],
    client_ip_address="203.0.113.7",
    client_user_agent="Mozilla/5.0 (X11; Linux x86_64)",
)
LI_FAT_ID = "df8a4e32-9b7d-4f5c-a6e1-1c2b3d4e5f60"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def element_of(prepared: event_pb2.PreparedEvent) -> dict[str, Any]:
    element = json.loads(prepared.payload_json)
    assert isinstance(element, dict)
    return element


def test_a_mapped_purchase_becomes_linkedins_conversion_event(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event("order-1", user_data=RAW_USER, click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID))
    assert element_of(connector.prepare(event, destination)) == {
        "conversion": "urn:lla:llaPartnerConversion:123456",
        # Epoch milliseconds, sub-second part kept (§4.3).
        "conversionHappenedAt": 1_795_176_000_250,
        "conversionValue": {"amount": "29.90", "currencyCode": "USD"},
        "eventId": "order-1",
        "user": {
            "userIds": [
                # Only the first usable email; lower-cased, whitespace removed, SHA-256 (§4.3).
                {"idType": "SHA256_EMAIL", "idValue": sha256("jane.doe@example.com")},
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": LI_FAT_ID},
            ]
        },
    }


@pytest.mark.parametrize(
    ("value", "currency"), [("29.90", "USD"), ("1500.0", "eur"), ("0.10", "GBP"), ("100", "JPY")]
)
def test_amount_is_the_clients_exact_decimal_string(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent, value: str, currency: str
) -> None:
    """LinkedIn: amount is a decimal string (§4.3); "29.90" must not become 29.9 or "29.9"."""
    prepared = connector.prepare(make_event(value=value, currency=currency), destination)
    assert element_of(prepared)["conversionValue"] == {"amount": value, "currencyCode": currency.upper()}
    assert f'"amount":"{value}"'.encode() in prepared.payload_json


def test_event_without_a_value_has_no_conversion_value(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    element = element_of(connector.prepare(make_event(event_name="Lead", value="", currency=""), destination))
    assert "conversionValue" not in element


def test_user_ids_are_present_and_empty_when_there_is_no_identifier(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """LinkedIn: leaving userIds out gives a 422, so an empty list is sent (§4.3)."""
    user = event_pb2.UserData(
        emails=["not-an-email"], phones=["+16505551212"], first_name="Ann", last_name="Lee"
    )
    prepared = connector.prepare(make_event(user_data=user), destination)
    assert element_of(prepared)["user"] == {"userIds": []}
    assert list(prepared.identifiers) == ["conversion_rule"]


def test_user_info_is_never_sent_even_with_both_names(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """LinkedIn wants names in plain text; SignalMesh never stores raw names, so no userInfo."""
    prepared = connector.prepare(make_event(user_data=RAW_USER), destination)
    assert set(element_of(prepared)["user"]) == {"userIds"}


def test_ip_address_is_not_sent(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """PLAINTEXT_IP_ADDRESS is unconfirmed (§4.3), so the IP is left out rather than risk a 422."""
    prepared = connector.prepare(make_event(user_data=RAW_USER), destination)
    assert "203.0.113.7" not in prepared.payload_json.decode()
    assert [user_id["idType"] for user_id in element_of(prepared)["user"]["userIds"]] == ["SHA256_EMAIL"]


@pytest.mark.parametrize(
    ("event_name", "conversion"),
    [
        ("Purchase", "urn:lla:llaPartnerConversion:123456"),
        # A rule written as the full URN is accepted too.
        ("Lead", "urn:lla:llaPartnerConversion:654321"),
    ],
)
def test_event_name_is_mapped_to_its_conversion_rule(
    connector: LinkedInConnector,
    destination: Destination,
    make_event: MakeEvent,
    event_name: str,
    conversion: str,
) -> None:
    prepared = connector.prepare(make_event(event_name=event_name), destination)
    assert element_of(prepared)["conversion"] == conversion
    assert "conversion_rule" in prepared.identifiers


@pytest.mark.parametrize(
    "settings",
    [
        {},  # no mapping for this event name
        {"conversion_rules.purchase": "123456"},  # event names are case-sensitive
        {"conversion_rules.Purchase": "my-rule"},  # not a rule id
        {"conversion_rules.Purchase": ""},
    ],
)
def test_unmapped_event_has_no_conversion_and_no_conversion_rule_identifier(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent, settings: dict[str, str]
) -> None:
    unmapped = replace(destination, settings={"access_token": "t", **settings})
    prepared = connector.prepare(make_event(click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID)), unmapped)
    assert "conversion" not in element_of(prepared)
    assert list(prepared.identifiers) == ["li_fat_id"]


def test_identifiers_use_the_connectors_vocabulary_sorted(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(user_data=RAW_USER, click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID, fbclid="IwAR"))
    assert list(connector.prepare(event, destination).identifiers) == [
        "conversion_rule",
        "email",
        "li_fat_id",
    ]


def test_already_hashed_email_passes_through(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    digest = sha256("jane.doe@example.com")
    user = event_pb2.UserData(emails=[digest.upper()])
    [user_id] = element_of(connector.prepare(make_event(user_data=user), destination))["user"]["userIds"]
    assert user_id == {"idType": "SHA256_EMAIL", "idValue": digest}


def test_metadata_is_copied_to_the_prepared_event(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    consent = event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED)
    event = make_event(
        "order-9", test_mode=True, consent=consent, action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    )
    prepared = connector.prepare(event, destination)
    assert (prepared.event_id, prepared.event_name, prepared.destination, prepared.connector) == (
        "order-9",
        "Purchase",
        "li",
        "linkedin",
    )
    assert prepared.event_time == event.event_time
    assert prepared.action_source == event_pb2.ACTION_SOURCE_PHYSICAL_STORE
    assert prepared.test_mode is True
    assert prepared.consent == consent


def test_prepare_is_deterministic_byte_for_byte(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    event = make_event(user_data=RAW_USER, click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID))
    first = connector.prepare(event, destination).payload_json
    assert first == connector.prepare(event, destination).payload_json
    assert first == json.dumps(json.loads(first), sort_keys=True, separators=(",", ":")).encode()


def test_no_raw_personal_value_appears_in_the_prepared_event(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Serialise the whole PreparedEvent and search its bytes for every raw and normalised value."""
    event = make_event(user_data=RAW_USER, click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID))
    serialized = connector.prepare(event, destination).SerializeToString().lower()
    personal = [
        *RAW_USER.emails,
        *RAW_USER.phones,
        RAW_USER.first_name,
        RAW_USER.last_name,
        RAW_USER.date_of_birth,
        RAW_USER.city,
        RAW_USER.state,
        RAW_USER.zip,
        *RAW_USER.external_ids,
        RAW_USER.client_ip_address,
        RAW_USER.client_user_agent,
        # Normalised forms too (those that cannot occur by chance inside a hex digest).
        "jane.doe",
        "jwork",
        "example.org",
        "6505551212",
        "jäne",
        "brien",
        "smythe",
        "19850714",
        "mountain",
        "94035",
        "crm-user",
    ]
    for value in personal:
        assert value.strip().lower().encode("utf-8") not in serialized, value
