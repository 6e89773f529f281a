"""build_requests(): Meta /events requests, chunked at 1,000, test apart from production, byte-stable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_meta.connector import MetaConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def prepare_many(
    connector: MetaConnector,
    destination: Destination,
    make_event: MakeEvent,
    count: int,
    *,
    test_mode: bool = False,
) -> list[event_pb2.PreparedEvent]:
    user = event_pb2.UserData(emails=["a@example.com"], client_user_agent="UA")
    prefix = "test" if test_mode else "prod"
    return [
        connector.prepare(make_event(f"{prefix}-{index}", user_data=user, test_mode=test_mode), destination)
        for index in range(count)
    ]


def test_request_is_a_bearer_post_to_the_pixel_events_url(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 2), destination)
    assert request.method == "POST"
    assert request.url == "https://graph.facebook.com/v25.0/1234567890/events"
    assert request.headers == {"Authorization": "Bearer token-abc", "Content-Type": "application/json"}
    assert request.event_ids == ("prod-0", "prod-1")
    body = json.loads(request.body)
    assert [event["event_id"] for event in body["data"]] == ["prod-0", "prod-1"]
    assert "test_event_code" not in body
    # Meta: event_time is an integer number of seconds, not 1.7e9.
    assert isinstance(body["data"][0]["event_time"], int)


def test_base_url_and_api_version_come_from_the_destination(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    sandbox = replace(
        destination,
        settings={**destination.settings, "base_url": "http://127.0.0.1:7480/", "api_version": "v26.0"},
    )
    [request] = connector.build_requests(prepare_many(connector, sandbox, make_event, 1), sandbox)
    assert request.url == "http://127.0.0.1:7480/v26.0/1234567890/events"


def test_same_batch_gives_byte_identical_bodies(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    first = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    second = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    assert [request.body for request in first] == [request.body for request in second]
    # Canonical form: sorted keys and compact separators.
    body = first[0].body
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()


def test_2500_events_become_requests_of_1000_1000_and_500_in_order(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = prepare_many(connector, destination, make_event, 2500)
    requests = connector.build_requests(batch, destination)
    assert [len(request.event_ids) for request in requests] == [1000, 1000, 500]
    assert [event_id for request in requests for event_id in request.event_ids] == [p.event_id for p in batch]
    for request in requests:
        assert [event["event_id"] for event in json.loads(request.body)["data"]] == list(request.event_ids)


def test_test_and_production_events_never_share_a_request(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    production = prepare_many(connector, destination, make_event, 2)
    test = prepare_many(connector, destination, make_event, 2, test_mode=True)
    mixed = [production[0], test[0], production[1], test[1]]
    requests = connector.build_requests(mixed, destination)
    assert [request.event_ids for request in requests] == [("prod-0", "prod-1"), ("test-0", "test-1")]
    bodies = [json.loads(request.body) for request in requests]
    assert "test_event_code" not in bodies[0]
    assert bodies[1]["test_event_code"] == "TEST123"


def test_test_events_without_a_test_event_code_are_sent_without_one(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    plain = replace(destination, settings={"pixel_id": "1", "access_token": "t"})
    [request] = connector.build_requests(prepare_many(connector, plain, make_event, 1, test_mode=True), plain)
    assert "test_event_code" not in json.loads(request.body)


def test_empty_batch_builds_no_request(connector: MetaConnector, destination: Destination) -> None:
    assert connector.build_requests([], destination) == []


def test_missing_access_token_is_a_configuration_bug(
    connector: MetaConnector, destination: Destination, make_event: MakeEvent
) -> None:
    broken = replace(destination, settings={"pixel_id": "1"})
    with pytest.raises(ValueError, match="access_token"):
        connector.build_requests(prepare_many(connector, broken, make_event, 1), broken)
