"""The declarative side of the TikTok connector and its registration through the entry point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from signalmesh.connector import SEND_ALL, STRICT, Connector, Destination
from signalmesh.plugins import load_registry
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_tiktok.connector import TikTokConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def test_entry_point_is_installed_and_discovered() -> None:
    """Installing signalmesh-tiktok is enough: the core finds it through the ``signalmesh`` group."""
    registry = load_registry()
    assert "tiktok" in registry
    [info] = [info for info in registry.infos() if info.connector.name == "tiktok"]
    assert (info.distribution, info.version) == ("signalmesh-tiktok", "0.1.0")
    assert isinstance(info.connector, TikTokConnector)


def test_tiktok_connector_satisfies_the_connector_protocol(connector: TikTokConnector) -> None:
    assert isinstance(connector, Connector)


def test_config_schema_marks_the_token_secret_and_sets_defaults(connector: TikTokConnector) -> None:
    fields = {field.name: field for field in connector.config_schema}
    assert set(fields) == {"pixel_code", "access_token", "base_url", "test_event_code"}
    assert fields["pixel_code"].required and fields["access_token"].required
    assert fields["access_token"].secret and not fields["pixel_code"].secret
    assert fields["base_url"].default == "https://business-api.tiktok.com"
    assert not fields["base_url"].required and not fields["test_event_code"].required


def test_limits_are_1000_events_and_7_days_for_every_source(connector: TikTokConnector) -> None:
    assert connector.limits.max_events_per_request == 1000
    for source in (event_pb2.ACTION_SOURCE_WEBSITE, event_pb2.ACTION_SOURCE_PHYSICAL_STORE):
        assert connector.limits.max_age_for(source) == timedelta(days=7)
    assert connector.required_identifiers == {}


def test_test_channel_is_the_test_event_code_when_set(
    connector: TikTokConnector, destination: Destination
) -> None:
    assert connector.test_channel(destination) == "test_event_code TEST123"
    without = replace(destination, settings={"pixel_code": "C4", "access_token": "t"})
    assert connector.test_channel(without) is None


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"ttclid"}, True),
        ({"ttclid", "email"}, True),
        ({"email", "phone", "ttp", "external_id", "ip", "user_agent"}, False),
        (set(), False),
    ],
)
def test_strict_sends_only_with_a_ttclid(
    connector: TikTokConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[STRICT]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_MISSING_CLICK_ID
    assert "ttclid" in rule.detail


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"email"}, True),
        ({"phone"}, True),
        ({"external_id"}, True),
        ({"ttclid"}, True),
        ({"ttp"}, True),
        ({"ip", "user_agent"}, False),
        (set(), False),
    ],
)
def test_send_all_needs_a_key_that_identifies_a_person(
    connector: TikTokConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[SEND_ALL]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_INSUFFICIENT_USER_DATA
    assert "email" in rule.detail and "ttp" in rule.detail


def test_eligibility_applies_to_what_prepare_reports(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """fbclid is Meta's click id: it makes no TikTok event strict-eligible; ttclid does."""
    with_fbclid = connector.prepare(make_event(click_ids=event_pb2.ClickIds(fbclid="IwAR")), destination)
    with_ttclid = connector.prepare(make_event(click_ids=event_pb2.ClickIds(ttclid="E.C.P.x")), destination)
    strict, send_all = connector.eligibility[STRICT], connector.eligibility[SEND_ALL]
    assert not strict.is_satisfied_by(frozenset(with_fbclid.identifiers))
    assert not send_all.is_satisfied_by(frozenset(with_fbclid.identifiers))
    assert strict.is_satisfied_by(frozenset(with_ttclid.identifiers))


def test_match_quality_scores_present_identifiers_and_ranks_missing_by_weight(
    connector: TikTokConnector,
) -> None:
    quality = connector.match_quality(event_pb2.PreparedEvent(identifiers=["email", "ip"]))
    assert quality.score == 3.75
    assert quality.missing == ("phone", "ttclid", "external_id", "ttp", "user_agent")


def test_match_quality_is_ten_with_everything_and_zero_with_nothing(connector: TikTokConnector) -> None:
    everything = ["email", "phone", "external_id", "ttclid", "ttp", "ip", "user_agent"]
    full = connector.match_quality(event_pb2.PreparedEvent(identifiers=everything))
    assert (full.score, full.missing) == (10.0, ())
    nothing = connector.match_quality(event_pb2.PreparedEvent())
    assert nothing.score == 0.0 and nothing.missing[:3] == ("email", "phone", "ttclid")
