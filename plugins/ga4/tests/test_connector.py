"""The GA4 connector's declarative side: settings, limits, eligibility, match quality, test channel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from signalmesh.connector import SEND_ALL, STRICT, Destination
from signalmesh.plugins import load_registry
from signalmesh.policy.eligibility import judge
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_ga4.connector import Ga4Connector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def decision(prepared: event_pb2.PreparedEvent) -> policy_pb2.DecisionInput:
    item = policy_pb2.DecisionInput(
        event_id=prepared.event_id,
        connector=prepared.connector,
        action_source=prepared.action_source,
        identifiers=list(prepared.identifiers),
        test_mode=prepared.test_mode,
    )
    item.event_time.CopyFrom(prepared.event_time)
    return item


def test_the_entry_point_registers_the_connector() -> None:
    assert isinstance(load_registry().get("ga4"), Ga4Connector)


def test_settings_and_secrets() -> None:
    schema = {field.name: field for field in Ga4Connector().config_schema}
    assert {name for name, field in schema.items() if field.required} == {"measurement_id", "api_secret"}
    assert schema["api_secret"].secret is True


def test_limits_are_25_events_and_48_hours(connector: Ga4Connector) -> None:
    assert connector.limits.max_events_per_request == 25
    assert connector.limits.max_event_age == timedelta(hours=48)


def test_both_strategies_need_the_client_id(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    now = make_event().event_time.seconds + 60
    with_id = connector.prepare(make_event(), destination)
    without = connector.prepare(
        make_event(click_ids=event_pb2.ClickIds(), user_data=event_pb2.UserData(emails=["a@example.com"])),
        destination,
    )
    for strategy in (STRICT, SEND_ALL):
        assert judge(decision(with_id), connector, destination, strategy, now).send
        verdict = judge(decision(without), connector, destination, strategy, now)
        assert (verdict.send, verdict.reason) == (False, policy_pb2.REASON_MISSING_REQUIRED_FIELD)
        assert "ga_client_id" in verdict.detail


def test_events_older_than_48_hours_are_skipped(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    prepared = connector.prepare(make_event(), destination)
    fresh = prepared.event_time.seconds + 47 * 3600
    stale = prepared.event_time.seconds + 49 * 3600
    assert judge(decision(prepared), connector, destination, STRICT, fresh).send
    verdict = judge(decision(prepared), connector, destination, STRICT, stale)
    assert verdict.reason == policy_pb2.REASON_TOO_OLD


def test_test_events_have_the_validation_server_as_channel(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    assert connector.test_channel(destination) == "validation endpoint /debug/mp/collect"
    prepared = connector.prepare(make_event(test_mode=True), destination)
    now = prepared.event_time.seconds + 60
    assert judge(decision(prepared), connector, destination, STRICT, now).send


def test_match_quality_ranks_client_id_first(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    bare = connector.match_quality(connector.prepare(make_event(), destination))
    assert (bare.score, bare.missing) == (5.0, ("email", "phone", "address", "user_id"))
    user = event_pb2.UserData(
        emails=["a@example.com"], phones=["+16505551212"], first_name="A", external_ids=["u1"]
    )
    full = connector.match_quality(connector.prepare(make_event(user_data=user), destination))
    assert (full.score, full.missing) == (10.0, ())
