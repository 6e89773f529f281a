"""build_requests(): BATCH_CREATE requests of at most 5,000 events, every required header, byte-stable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_linkedin.connector import LinkedInConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def prepare_many(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent, count: int
) -> list[event_pb2.PreparedEvent]:
    click_ids = event_pb2.ClickIds(li_fat_id="df8a4e32-9b7d-4f5c-a6e1-1c2b3d4e5f60")
    return [
        connector.prepare(make_event(f"order-{index}", click_ids=click_ids), destination)
        for index in range(count)
    ]


def test_request_is_a_batch_create_post_with_linkedins_headers(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 2), destination)
    assert request.method == "POST"
    assert request.url == "https://api.linkedin.com/rest/conversionEvents"
    # LinkedIn: every header of §4.1; X-RestLi-Method because the body is a batch (§4.2).
    assert request.headers == {
        "Authorization": "Bearer token-abc",
        "LinkedIn-Version": "202609",
        "X-Restli-Protocol-Version": "2.0.0",
        "X-RestLi-Method": "BATCH_CREATE",
        "Content-Type": "application/json",
    }
    assert request.event_ids == ("order-0", "order-1")
    assert [element["eventId"] for element in json.loads(request.body)["elements"]] == ["order-0", "order-1"]


def test_a_single_event_is_still_sent_as_a_batch(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 1), destination)
    assert request.headers["X-RestLi-Method"] == "BATCH_CREATE"
    assert list(json.loads(request.body)) == ["elements"]


def test_base_url_and_api_version_come_from_the_destination(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    sandbox = replace(
        destination,
        settings={**destination.settings, "base_url": "http://127.0.0.1:7480/", "api_version": "202611"},
    )
    [request] = connector.build_requests(prepare_many(connector, sandbox, make_event, 1), sandbox)
    assert request.url == "http://127.0.0.1:7480/rest/conversionEvents"
    assert request.headers["LinkedIn-Version"] == "202611"


def test_12001_events_become_requests_of_5000_5000_and_2001_in_order(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = prepare_many(connector, destination, make_event, 12_001)
    requests = connector.build_requests(batch, destination)
    assert [len(request.event_ids) for request in requests] == [5000, 5000, 2001]
    assert [event_id for request in requests for event_id in request.event_ids] == [p.event_id for p in batch]
    for request in requests:
        assert [element["eventId"] for element in json.loads(request.body)["elements"]] == list(
            request.event_ids
        )


def test_same_batch_gives_byte_identical_canonical_bodies(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    first = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    second = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    assert [request.body for request in first] == [request.body for request in second]
    body = first[0].body
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()


def test_empty_batch_builds_no_request(connector: LinkedInConnector, destination: Destination) -> None:
    assert connector.build_requests([], destination) == []


def test_missing_access_token_is_a_configuration_bug(
    connector: LinkedInConnector, destination: Destination, make_event: MakeEvent
) -> None:
    broken = replace(destination, settings={"conversion_rules.Purchase": "1"})
    with pytest.raises(ValueError, match="access_token"):
        connector.build_requests(prepare_many(connector, broken, make_event, 1), broken)
