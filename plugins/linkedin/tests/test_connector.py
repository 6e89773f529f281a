"""The declarative side of the LinkedIn connector: settings, limits, eligibility as the policy applies
it, match quality, no test channel, and registration through the entry point."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from signalmesh.config import ConfigError, check_destinations, load_config
from signalmesh.connector import SEND_ALL, STRICT, Connector, Destination
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry, load_registry
from signalmesh.policy.eligibility import judge
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_linkedin.connector import LinkedInConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
LI_FAT_ID = "df8a4e32-9b7d-4f5c-a6e1-1c2b3d4e5f60"


def test_entry_point_is_installed_and_discovered() -> None:
    """Installing signalmesh-linkedin is enough: the core finds it through the ``signalmesh`` group."""
    registry = load_registry()
    assert "linkedin" in registry
    [info] = [info for info in registry.infos() if info.connector.name == "linkedin"]
    assert (info.distribution, info.version) == ("signalmesh-linkedin", "0.1.0")
    assert isinstance(info.connector, LinkedInConnector)


def test_linkedin_connector_satisfies_the_connector_protocol(connector: LinkedInConnector) -> None:
    assert isinstance(connector, Connector)


def test_config_schema_marks_the_token_secret_and_sets_defaults(connector: LinkedInConnector) -> None:
    fields = {field.name: field for field in connector.config_schema}
    assert set(fields) == {"access_token", "conversion_rules", "api_version", "base_url"}
    assert fields["access_token"].required and fields["access_token"].secret
    assert fields["conversion_rules"].required and not fields["conversion_rules"].secret
    assert fields["api_version"].default == "202609"
    assert "12 months" in fields["api_version"].description
    assert fields["base_url"].default == "https://api.linkedin.com"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "signalmesh.toml"
    path.write_text(text)
    return path


def registry_of(connector: LinkedInConnector) -> ConnectorRegistry:
    return ConnectorRegistry([ConnectorInfo(connector, "signalmesh-linkedin", "0.1.0")])


def test_conversion_rules_table_is_accepted_and_flattened_by_the_core(
    connector: LinkedInConnector, tmp_path: Path
) -> None:
    text = (
        '[destinations.li]\nconnector = "linkedin"\naccess_token = "env:LINKEDIN_TOKEN"\n'
        '[destinations.li.conversion_rules]\nPurchase = "123456"\nLead = "654321"\n'
    )
    config = load_config(write_config(tmp_path, text), environ={"LINKEDIN_TOKEN": "t0k"})
    check_destinations(config, registry_of(connector))
    settings = config.destinations["li"].settings
    assert (settings["conversion_rules.Purchase"], settings["conversion_rules.Lead"]) == ("123456", "654321")


def test_a_destination_without_conversion_rules_is_refused_at_start_up(
    connector: LinkedInConnector, tmp_path: Path
) -> None:
    text = '[destinations.li]\nconnector = "linkedin"\naccess_token = "t0k"\n'
    config = load_config(write_config(tmp_path, text), environ={})
    with pytest.raises(
        ConfigError, match=r"destinations.li.conversion_rules: required by connector 'linkedin'"
    ):
        check_destinations(config, registry_of(connector))


def test_limits_follow_linkedin(connector: LinkedInConnector) -> None:
    assert connector.limits.max_events_per_request == 5000
    assert connector.limits.max_age_for(event_pb2.ACTION_SOURCE_WEBSITE) == timedelta(days=90)
    assert connector.limits.max_age_for(event_pb2.ACTION_SOURCE_PHYSICAL_STORE) == timedelta(days=90)
    assert connector.limits.requests_per_second == 10.0
    assert connector.required_identifiers == {}


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"li_fat_id", "conversion_rule"}, True),
        ({"li_fat_id", "email", "conversion_rule"}, True),
        ({"email", "conversion_rule"}, False),
        ({"li_fat_id"}, False),
        (set(), False),
    ],
)
def test_strict_sends_only_with_li_fat_id_and_a_conversion_rule(
    connector: LinkedInConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[STRICT]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_MISSING_CLICK_ID


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"email", "conversion_rule"}, True),
        ({"li_fat_id", "conversion_rule"}, True),
        ({"conversion_rule"}, False),
        ({"email", "li_fat_id"}, False),
        (set(), False),
    ],
)
def test_send_all_needs_an_email_or_li_fat_id_and_a_conversion_rule(
    connector: LinkedInConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[SEND_ALL]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_INSUFFICIENT_USER_DATA


def decision_input(prepared: event_pb2.PreparedEvent) -> policy_pb2.DecisionInput:
    item = policy_pb2.DecisionInput(
        event_id=prepared.event_id,
        event_name=prepared.event_name,
        destination=prepared.destination,
        connector=prepared.connector,
        action_source=prepared.action_source,
        identifiers=prepared.identifiers,
        test_mode=prepared.test_mode,
    )
    item.event_time.CopyFrom(prepared.event_time)
    return item


@pytest.mark.parametrize("strategy", [STRICT, SEND_ALL])
def test_policy_skips_an_unmapped_event_naming_the_setting_to_add(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent, strategy: str
) -> None:
    event = make_event(
        event_name="AddToCart",
        user_data=event_pb2.UserData(emails=["jane@example.com"]),
        click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID),
    )
    prepared = connector.prepare(event, destination)
    verdict = judge(
        decision_input(prepared), connector, destination, strategy, now=prepared.event_time.seconds
    )
    assert verdict.decision == policy_pb2.DECISION_SKIP
    assert "conversion_rules" in verdict.detail

    mapped = connector.prepare(make_event(user_data=event.user_data, click_ids=event.click_ids), destination)
    assert judge(decision_input(mapped), connector, destination, strategy, now=mapped.event_time.seconds).send


def test_policy_skips_test_events_because_linkedin_has_no_test_channel(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    assert connector.test_channel(destination) is None
    event = make_event(test_mode=True, click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID))
    prepared = connector.prepare(event, destination)
    verdict = judge(decision_input(prepared), connector, destination, STRICT, now=prepared.event_time.seconds)
    assert (verdict.decision, verdict.reason) == (policy_pb2.DECISION_SKIP, policy_pb2.REASON_NO_TEST_CHANNEL)


def test_policy_skips_events_older_than_90_days(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(click_ids=event_pb2.ClickIds(li_fat_id=LI_FAT_ID)), destination)
    sent_at = prepared.event_time.seconds
    assert judge(decision_input(prepared), connector, destination, STRICT, now=sent_at + 89 * 86_400).send
    late = judge(decision_input(prepared), connector, destination, STRICT, now=sent_at + 91 * 86_400)
    assert late.reason == policy_pb2.REASON_TOO_OLD


@pytest.mark.parametrize(
    ("identifiers", "score", "missing"),
    [
        (["conversion_rule", "email", "li_fat_id"], 10.0, ()),
        (["conversion_rule", "li_fat_id"], 5.5, ("email",)),
        (["email"], 4.5, ("li_fat_id",)),
        ([], 0.0, ("li_fat_id", "email")),
    ],
)
def test_match_quality_scores_the_two_identifiers_linkedin_matches_on(
    connector: LinkedInConnector, identifiers: list[str], score: float, missing: tuple[str, ...]
) -> None:
    quality = connector.match_quality(event_pb2.PreparedEvent(identifiers=identifiers))
    assert (quality.score, quality.missing) == (score, missing)
