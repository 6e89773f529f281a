"""A dead letter is shown with the request the platform last saw, rebuilt from the kept event."""

from __future__ import annotations

from signalmesh.connector import Destination
from signalmesh.gateway.dead_letters import last_request, matches
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry
from signalmesh.store.base import StatusRecord
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

from tests.support.fake_connector import FakeConnector

REGISTRY = ConnectorRegistry([ConnectorInfo(FakeConnector(), "tests", "0")])
DESTINATIONS = {"fake": Destination("fake", "fake", {"url": "https://platform.test/events?key=k"})}


def dead(destination: str = "fake", prepared: bytes = b"", response: str = "") -> StatusRecord:
    return StatusRecord(
        "e1",
        destination,
        "Purchase",
        policy_pb2.DECISION_SEND,
        policy_pb2.REASON_ELIGIBLE,
        "",
        gateway_pb2.DELIVERY_STATE_DEAD_LETTERED,
        platform_response=response,
        prepared=prepared,
    )


def test_the_reason_filter_ignores_case_and_an_empty_one_matches_all():
    record = dead(response="rejected · code 100 · Invalid Parameter")
    assert matches(record, "invalid parameter")
    assert matches(record, "")
    assert not matches(record, "expired")


def test_the_last_request_is_rebuilt_without_its_query_string():
    prepared = event_pb2.PreparedEvent(event_id="e1", payload_json=b'{"id":"e1"}')
    shown = last_request(dead(prepared=prepared.SerializeToString()), DESTINATIONS, REGISTRY)
    assert shown == 'POST https://platform.test/events\n{"events":[{"id":"e1"}]}'


def test_nothing_is_shown_for_a_destination_no_longer_configured_or_an_entry_without_its_event():
    prepared = event_pb2.PreparedEvent(event_id="e1", payload_json=b"{}").SerializeToString()
    assert last_request(dead(destination="gone", prepared=prepared), DESTINATIONS, REGISTRY) == ""
    assert last_request(dead(), DESTINATIONS, REGISTRY) == ""
