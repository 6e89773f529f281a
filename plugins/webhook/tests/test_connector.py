"""The declarative side of the Webhook connector and its registration through the entry point."""

from __future__ import annotations

from datetime import timedelta

import pytest
from signalmesh.connector import SEND_ALL, STRICT, Connector, Destination
from signalmesh.plugins import load_registry
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_webhook.connector import WebhookConnector


def test_entry_point_is_installed_and_discovered() -> None:
    """Installing signalmesh-webhook is enough: the core finds it through the ``signalmesh`` group."""
    registry = load_registry()
    [info] = [info for info in registry.infos() if info.connector.name == "webhook"]
    assert (info.distribution, info.version) == ("signalmesh-webhook", "0.1.0")
    assert isinstance(info.connector, WebhookConnector)
    assert isinstance(info.connector, Connector)


def test_config_schema_takes_url_and_a_secret_hmac_key(connector: WebhookConnector) -> None:
    fields = {field.name: field for field in connector.config_schema}
    assert set(fields) == {"url", "secret", "test_url", "signature_header"}
    assert fields["url"].required and not fields["url"].secret
    assert fields["secret"].required and fields["secret"].secret
    assert not fields["test_url"].required
    assert fields["signature_header"].default == "X-SignalMesh-Signature"


def test_limits_are_500_events_and_30_days(connector: WebhookConnector) -> None:
    assert connector.limits.max_events_per_request == 500
    assert connector.limits.max_age_for(event_pb2.ACTION_SOURCE_WEBSITE) == timedelta(days=30)
    assert connector.required_identifiers == {}


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [
        ({"click_id"}, True),
        ({"click_id", "email"}, True),
        ({"email", "phone", "external_id"}, False),
        (set(), False),
    ],
)
def test_strict_sends_only_with_an_ad_click_id(
    connector: WebhookConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[STRICT]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_MISSING_CLICK_ID


@pytest.mark.parametrize(
    ("identifiers", "eligible"),
    [({"email"}, True), ({"phone"}, True), ({"external_id"}, True), ({"click_id"}, True), (set(), False)],
)
def test_send_all_needs_something_to_join_on(
    connector: WebhookConnector, identifiers: set[str], eligible: bool
) -> None:
    rule = connector.eligibility[SEND_ALL]
    assert rule.is_satisfied_by(frozenset(identifiers)) is eligible
    assert rule.reason == policy_pb2.REASON_INSUFFICIENT_USER_DATA


def test_test_channel_is_the_test_url_or_none(connector: WebhookConnector, destination: Destination) -> None:
    assert connector.test_channel(destination) == "https://crm.example.com/hooks/test"
    without = Destination("crm", "webhook", {"url": "https://crm.example.com/h", "secret": "s"})
    assert connector.test_channel(without) is None


def test_match_quality_weighs_email_over_phone_over_ids(connector: WebhookConnector) -> None:
    assert connector.match_quality(event_pb2.PreparedEvent(identifiers=["email", "click_id"])).score == 5.5
    everything = event_pb2.PreparedEvent(identifiers=["email", "phone", "external_id", "click_id"])
    assert (connector.match_quality(everything).score, connector.match_quality(everything).missing) == (
        10.0,
        (),
    )
    nothing = connector.match_quality(event_pb2.PreparedEvent())
    assert (nothing.score, nothing.missing) == (0.0, ("email", "phone", "external_id", "click_id"))
