"""Routing and edge preparation: explicit destinations only, one hashed form per destination."""

from __future__ import annotations

from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination
from signalmesh.gateway.prepare import decide_request, decision_input, prepare_event, route
from signalmesh.normalize.text import sha256_hex
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry
from signalmesh.v1 import event_pb2, policy_pb2

from tests.support.fake_connector import FakeConnector

DESTINATIONS = {
    "one": Destination("one", "fake", {"url": "https://one.example.test"}),
    "two": Destination("two", "fake", {"url": "https://two.example.test"}, test_mode=True),
}
REGISTRY = ConnectorRegistry([ConnectorInfo(FakeConnector(), "tests", "0")])


def event(**fields) -> event_pb2.ConversionEvent:
    return event_pb2.ConversionEvent(
        event_id="order-1",
        event_name="Purchase",
        user_data=event_pb2.UserData(emails=["Jane@Example.com"]),
        click_ids=event_pb2.ClickIds(gclid="g-1"),
        **fields,
    )


def test_without_a_list_an_event_goes_to_every_configured_destination():
    assert [destination.name for destination in route(event(), DESTINATIONS)] == ["one", "two"]


def test_an_explicit_list_is_followed_once_each_and_unknown_names_are_dropped():
    routed = route(event(destinations=["two", "nowhere", "two"]), DESTINATIONS)
    assert [destination.name for destination in routed] == ["two"]


def test_each_destination_gets_its_own_prepared_event_without_raw_personal_data():
    prepared = prepare_event(event(), list(DESTINATIONS.values()), REGISTRY)
    assert [(item.destination, item.connector) for item in prepared] == [("one", "fake"), ("two", "fake")]
    for item in prepared:
        assert b"jane@example.com" not in item.SerializeToString().lower()


def test_a_destination_in_test_mode_sends_everything_to_its_test_channel():
    live, test = prepare_event(event(), list(DESTINATIONS.values()), REGISTRY)
    assert (live.test_mode, test.test_mode) == (False, True)
    [forced] = prepare_event(event(test_mode=True), [DESTINATIONS["one"]], REGISTRY)
    assert forced.test_mode


def test_policy_gets_identifier_names_never_their_values():
    [prepared] = prepare_event(event(), [DESTINATIONS["one"]], REGISTRY)
    decided = decision_input(prepared)
    assert (decided.event_id, decided.destination, decided.connector) == ("order-1", "one", "fake")
    assert list(decided.identifiers) == ["email", "click"]
    hashed_email = sha256_hex("jane@example.com").encode()
    assert hashed_email in prepared.SerializeToString()
    assert hashed_email not in decided.SerializeToString()


def test_one_request_asks_policy_about_every_prepared_form_in_order():
    timed = event(
        event_time=timestamp_pb2.Timestamp(seconds=1_780_000_000, nanos=5),
        consent=event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED),
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        test_mode=True,
    )
    prepared = [
        *prepare_event(timed, list(DESTINATIONS.values()), REGISTRY),
        *prepare_event(event(), [DESTINATIONS["one"]], REGISTRY),
    ]
    request = decide_request(prepared, dry_run=True)
    assert request.dry_run
    # Field for field (presence too) what policy got from one DecisionInput built per form.
    assert list(request.items) == [
        policy_pb2.DecisionInput(
            event_id=item.event_id,
            event_name=item.event_name,
            destination=item.destination,
            connector=item.connector,
            event_time=item.event_time,
            action_source=item.action_source,
            identifiers=item.identifiers,
            test_mode=item.test_mode,
            consent=item.consent,
        )
        for item in prepared
    ]
    assert list(request.items) == [decision_input(item) for item in prepared]
    assert [item.destination for item in request.items] == ["one", "two", "one"]
    assert request.items[0].event_time.nanos == 5 and request.items[0].consent.ad_user_data
    assert not decide_request([]).items and not decide_request([]).dry_run
