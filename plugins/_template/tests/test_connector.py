"""The TODO connector: discovery, hashing, requests and outcomes. Add the platform's doc vectors."""

from __future__ import annotations

import hashlib
import json

from signalmesh.connector import SEND_ALL, Connector, Destination, HttpResponse, OutcomeKind, TransportFailure
from signalmesh.plugins import load_registry
from signalmesh.v1 import event_pb2

from signalmesh_template.connector import TemplateConnector

DESTINATION = Destination(
    name="template-prod",
    connector="template",
    settings={"url": "https://api.example.com/events", "access_token": "token"},
)


def purchase(event_id: str = "evt-1") -> event_pb2.ConversionEvent:
    event = event_pb2.ConversionEvent(event_id=event_id, event_name="Purchase", value="10.00", currency="eur")
    event.event_time.FromSeconds(1_700_000_000)
    event.user_data.emails.append(" Someone@Example.com ")
    return event


def test_entry_point_is_installed_and_discovered() -> None:
    registry = load_registry()
    assert "template" in registry
    assert isinstance(registry.get("template"), Connector)


def test_prepare_hashes_personal_data_and_keeps_no_raw_value() -> None:
    prepared = TemplateConnector().prepare(purchase(), DESTINATION)
    assert json.loads(prepared.payload_json)["email_sha256"] == [
        hashlib.sha256(b"someone@example.com").hexdigest()
    ]
    assert b"someone@example.com" not in prepared.SerializeToString().lower()
    assert list(prepared.identifiers) == ["email"]


def test_already_hashed_email_is_not_hashed_twice() -> None:
    digest = hashlib.sha256(b"someone@example.com").hexdigest()
    event = purchase()
    event.user_data.emails[:] = [digest]
    assert json.loads(TemplateConnector().prepare(event, DESTINATION).payload_json)["email_sha256"] == [
        digest
    ]


def test_send_all_accepts_an_email() -> None:
    prepared = TemplateConnector().prepare(purchase(), DESTINATION)
    assert TemplateConnector().eligibility[SEND_ALL].is_satisfied_by(frozenset(prepared.identifiers))


def test_build_requests_respects_the_batch_limit_and_is_deterministic() -> None:
    connector = TemplateConnector()
    batch = [connector.prepare(purchase(f"evt-{index}"), DESTINATION) for index in range(250)]
    first = connector.build_requests(batch, DESTINATION)
    assert [len(request.event_ids) for request in first] == [100, 100, 50]
    assert [request.body for request in first] == [
        request.body for request in connector.build_requests(batch, DESTINATION)
    ]
    assert [event["event_id"] for event in json.loads(first[2].body)["data"]] == list(first[2].event_ids)


def test_classify_maps_answers_to_outcomes() -> None:
    connector = TemplateConnector()
    [request] = connector.build_requests([connector.prepare(purchase(), DESTINATION)], DESTINATION)
    assert connector.classify(request, HttpResponse(200, {}, b"{}"))[0].kind is OutcomeKind.DELIVERED
    throttled = connector.classify(request, HttpResponse(429, {"Retry-After": "3"}, b""))[0]
    assert (throttled.kind, throttled.retry_after) == (OutcomeKind.RETRY, 3.0)
    assert connector.classify(request, HttpResponse(503, {}, b""))[0].kind is OutcomeKind.RETRY
    assert connector.classify(request, HttpResponse(400, {}, b"bad field"))[0].kind is OutcomeKind.REJECTED
    assert connector.classify(request, TransportFailure.TIMEOUT)[0].kind is OutcomeKind.RETRY
