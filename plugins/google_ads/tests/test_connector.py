"""The declarative side of the Google Ads connector and its registration through the entry point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from signalmesh.connector import SEND_ALL, STRICT, Connector, Destination
from signalmesh.plugins import load_registry
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def test_entry_point_is_installed_and_discovered() -> None:
    """Installing signalmesh-google-ads is enough: the core finds it through the ``signalmesh`` group."""
    registry = load_registry()
    assert "google_ads" in registry
    [info] = [info for info in registry.infos() if info.connector.name == "google_ads"]
    assert (info.distribution, info.version) == ("signalmesh-google-ads", "0.1.0")
    assert isinstance(info.connector, GoogleAdsConnector)


def test_google_ads_connector_satisfies_the_connector_protocol(connector: GoogleAdsConnector) -> None:
    assert isinstance(connector, Connector)


def test_config_schema_marks_both_tokens_secret_and_sets_defaults(connector: GoogleAdsConnector) -> None:
    fields = {field.name: field for field in connector.config_schema}
    assert set(fields) == {
        "customer_id",
        "access_token",
        "developer_token",
        "conversion_actions",
        "login_customer_id",
        "api_version",
        "base_url",
    }
    assert {name for name, field in fields.items() if field.required} == {
        "customer_id",
        "access_token",
        "developer_token",
        "conversion_actions",
    }
    assert {name for name, field in fields.items() if field.secret} == {"access_token", "developer_token"}
    assert fields["base_url"].default == "https://googleads.googleapis.com"
    assert fields["api_version"].default == "v25"


def test_limits_are_2000_conversions_and_the_90_day_click_window(connector: GoogleAdsConnector) -> None:
    assert connector.limits.max_events_per_request == 2000
    for source in (event_pb2.ACTION_SOURCE_WEBSITE, event_pb2.ACTION_SOURCE_PHYSICAL_STORE):
        assert connector.limits.max_age_for(source) == timedelta(days=90)
    assert connector.required_identifiers == {}


def test_test_channel_is_validate_only(connector: GoogleAdsConnector, destination: Destination) -> None:
    assert connector.test_channel(destination) == "validate_only"


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"click_id", "gclid", "conversion_action"}, True),
        ({"click_id", "wbraid", "conversion_action"}, True),
        ({"click_id", "gbraid", "conversion_action", "email"}, True),
        # Enhanced conversions: sufficient hashed identifiers stand in for the click (§2B, G8).
        ({"email", "conversion_action"}, True),
        ({"phone", "conversion_action"}, True),
        ({"email", "phone", "conversion_action"}, True),
        # A click (or a lead) without a mapped conversion action has nowhere to be counted.
        ({"click_id", "gclid"}, False),
        ({"email", "phone"}, False),
        ({"conversion_action"}, False),
        (set(), False),
    ],
)
def test_strict_sends_a_click_id_or_a_hashed_email_or_phone_with_a_conversion_action(
    connector: GoogleAdsConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[STRICT]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_MISSING_CLICK_ID
    assert "gclid" in rule.detail and "hashed email" in rule.detail and "conversion_actions" in rule.detail


@pytest.mark.parametrize(
    ("identifiers", "path"),
    [
        ({"click_id", "gclid", "conversion_action"}, "the click id (gclid, wbraid or gbraid)"),
        # The click wins when both are there: it is the exact attribution.
        ({"click_id", "gclid", "email", "conversion_action"}, "the click id (gclid, wbraid or gbraid)"),
        ({"email", "phone", "conversion_action"}, "enhanced conversions: a hashed email, no click id"),
        ({"phone", "conversion_action"}, "enhanced conversions: a hashed phone, no click id"),
        ({"email"}, None),
    ],
)
def test_each_strategy_names_the_path_that_made_the_event_eligible(
    connector: GoogleAdsConnector, identifiers: set[str], path: str | None
) -> None:
    for strategy in (STRICT, SEND_ALL):
        assert connector.eligibility[strategy].path_taken(frozenset(identifiers)) == path


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"click_id", "gclid", "conversion_action"}, True),
        ({"email", "conversion_action"}, True),
        ({"phone", "conversion_action"}, True),
        ({"email", "phone"}, False),
        ({"conversion_action"}, False),
        (set(), False),
    ],
)
def test_send_all_takes_a_click_id_or_a_hashed_email_or_phone(
    connector: GoogleAdsConnector, identifiers: set[str], eligible: bool
) -> None:
    """Google Ads ECL: hashed email or phone may stand in for the click (platforms.md §2B, G8)."""
    rule = connector.eligibility[SEND_ALL]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_INSUFFICIENT_USER_DATA
    assert "email" in rule.detail and "conversion_actions" in rule.detail


def test_eligibility_applies_to_what_prepare_reports(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """A lead with only an email passes both strategies (enhanced conversions), as a gclid does;
    an fbclid alone passes neither: it is Meta's click, not Google's."""
    strict, send_all = connector.eligibility[STRICT], connector.eligibility[SEND_ALL]
    lead = make_event(
        event_name="Lead",
        click_ids=event_pb2.ClickIds(),
        user_data=event_pb2.UserData(emails=["lead@example.com"]),
    )
    with_fbclid = make_event(click_ids=event_pb2.ClickIds(fbclid="IwAR0abc"), user_data=event_pb2.UserData())
    identifiers = {
        name: frozenset(connector.prepare(event, destination).identifiers)
        for name, event in (("gclid", make_event()), ("lead", lead), ("fbclid", with_fbclid))
    }
    assert strict.is_satisfied_by(identifiers["gclid"]) and send_all.is_satisfied_by(identifiers["gclid"])
    assert strict.is_satisfied_by(identifiers["lead"]) and send_all.is_satisfied_by(identifiers["lead"])
    assert strict.path_taken(identifiers["lead"]) == "enhanced conversions: a hashed email, no click id"
    assert not strict.is_satisfied_by(identifiers["fbclid"]) and not send_all.is_satisfied_by(
        identifiers["fbclid"]
    )


def test_an_unmapped_event_name_is_eligible_under_no_strategy(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(event_name="AddToCart"), destination)
    assert "click_id" in prepared.identifiers and "conversion_action" not in prepared.identifiers
    for strategy in (STRICT, SEND_ALL):
        assert not connector.eligibility[strategy].is_satisfied_by(frozenset(prepared.identifiers))


def test_a_mapping_added_to_the_destination_makes_the_event_eligible(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    mapped = replace(destination, settings={**destination.settings, "conversion_actions.AddToCart": "42"})
    prepared = connector.prepare(make_event(event_name="AddToCart"), mapped)
    assert connector.eligibility[STRICT].is_satisfied_by(frozenset(prepared.identifiers))


def test_match_quality_scores_present_identifiers_and_ranks_missing_by_weight(
    connector: GoogleAdsConnector,
) -> None:
    quality = connector.match_quality(event_pb2.PreparedEvent(identifiers=["conversion_action", "email"]))
    assert (quality.score, quality.missing) == (2.5, ("click_id", "phone"))


def test_match_quality_is_ten_with_everything_and_zero_without_a_conversion_action(
    connector: GoogleAdsConnector,
) -> None:
    everything = ["conversion_action", "click_id", "gclid", "email", "phone"]
    full = connector.match_quality(event_pb2.PreparedEvent(identifiers=everything))
    assert (full.score, full.missing) == (10.0, ())
    unmapped = connector.match_quality(event_pb2.PreparedEvent(identifiers=["click_id", "email", "phone"]))
    assert (unmapped.score, unmapped.missing) == (0.0, ("conversion_action",))
