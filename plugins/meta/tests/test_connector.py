"""The declarative side of the Meta connector and its registration through the entry point."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from signalmesh.connector import SEND_ALL, STRICT, Connector, Destination
from signalmesh.plugins import load_registry
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_meta.connector import MetaConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def test_entry_point_is_installed_and_discovered() -> None:
    """Installing signalmesh-meta is enough: the core finds it through the ``signalmesh`` group."""
    registry = load_registry()
    assert "meta" in registry
    [info] = [info for info in registry.infos() if info.connector.name == "meta"]
    assert (info.distribution, info.version) == ("signalmesh-meta", "0.1.0")
    assert isinstance(info.connector, MetaConnector)


def test_meta_connector_satisfies_the_connector_protocol(connector: MetaConnector) -> None:
    assert isinstance(connector, Connector)


def test_config_schema_marks_the_token_secret_and_sets_defaults(connector: MetaConnector) -> None:
    fields = {field.name: field for field in connector.config_schema}
    assert set(fields) == {"pixel_id", "access_token", "api_version", "base_url", "test_event_code"}
    assert fields["pixel_id"].required and fields["access_token"].required
    assert fields["access_token"].secret and not fields["pixel_id"].secret
    assert fields["api_version"].default == "v25.0"
    assert fields["base_url"].default == "https://graph.facebook.com"
    assert not fields["test_event_code"].required


def test_limits_follow_meta(connector: MetaConnector) -> None:
    assert connector.limits.max_events_per_request == 1000
    assert connector.limits.max_age_for(event_pb2.ACTION_SOURCE_WEBSITE) == timedelta(days=7)
    assert connector.limits.max_age_for(event_pb2.ACTION_SOURCE_PHYSICAL_STORE) == timedelta(days=62)


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"fbc"}, True),
        ({"fbc", "em"}, True),
        ({"em", "ph", "fbp", "client_ip_address"}, False),
        (set(), False),
    ],
)
def test_strict_sends_only_with_a_click_id(
    connector: MetaConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[STRICT]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_MISSING_CLICK_ID
    assert rule.detail == "strict sends to Meta only with a click id: fbc, or fbclid (+ click_time)"


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"em"}, True),
        ({"ph"}, True),
        ({"external_id"}, True),
        ({"client_ip_address", "client_user_agent"}, True),
        ({"fbp"}, True),
        ({"fn", "ln"}, True),
        ({"db", "ln"}, True),
        # Meta's weak sets (§1.12) and their subsets are not enough.
        ({"ct", "country", "st", "zp", "ge", "client_user_agent"}, False),
        ({"db", "client_user_agent"}, False),
        ({"fn", "ge"}, False),
        ({"ln", "ge"}, False),
        ({"event_source_url"}, False),
        (set(), False),
    ],
)
def test_send_all_needs_metas_minimum_customer_information(
    connector: MetaConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[SEND_ALL]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_INSUFFICIENT_USER_DATA
    assert "email" in rule.detail and "phone" in rule.detail


def test_eligibility_applies_to_what_prepare_reports(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """fbclid without click_time yields no fbc, so strict skips; with click_time it sends."""
    without_time = connector.prepare(make_event(click_ids=event_pb2.ClickIds(fbclid="IwAR")), destination)
    click_ids = event_pb2.ClickIds(fbclid="IwAR")
    click_ids.click_time.FromSeconds(1_700_000_000)
    with_time = connector.prepare(make_event(click_ids=click_ids), destination)
    strict = connector.eligibility[STRICT]
    assert not strict.is_satisfied_by(frozenset(without_time.identifiers))
    assert strict.is_satisfied_by(frozenset(with_time.identifiers))


def test_website_events_require_user_agent_and_source_url(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    required = connector.required_identifiers[event_pb2.ACTION_SOURCE_WEBSITE]
    assert required == frozenset({"client_user_agent", "event_source_url"})
    prepared = connector.prepare(
        make_event(user_data=event_pb2.UserData(client_user_agent="UA")), destination
    )
    assert required <= frozenset(prepared.identifiers)
    assert event_pb2.ACTION_SOURCE_PHYSICAL_STORE not in connector.required_identifiers


def test_match_quality_scores_present_identifiers_and_ranks_missing_by_gain(connector: MetaConnector) -> None:
    prepared = event_pb2.PreparedEvent(identifiers=["em", "fn", "client_user_agent"])
    quality = connector.match_quality(prepared)
    assert quality.score == 3.0  # em 2.5 + user agent 0.5; fn alone counts nothing
    assert quality.missing[:4] == ("ph", "fbc", "client_ip_address", "ln")
    assert "em" not in quality.missing and "fn" not in quality.missing


def test_match_quality_is_ten_with_everything_and_zero_with_nothing(connector: MetaConnector) -> None:
    everything = event_pb2.PreparedEvent(
        identifiers=[
            "em",
            "ph",
            "fn",
            "ln",
            "ge",
            "db",
            "ct",
            "st",
            "zp",
            "country",
            "external_id",
            "client_ip_address",
            "client_user_agent",
            "fbc",
            "fbp",
        ]
    )
    assert connector.match_quality(everything).score == 10.0
    assert connector.match_quality(everything).missing == ()
    nothing = connector.match_quality(event_pb2.PreparedEvent())
    assert nothing.score == 0.0
    assert nothing.missing[:3] == ("em", "ph", "fbc")
    assert "fn+ln" in nothing.missing
