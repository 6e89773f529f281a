"""build_requests: GA4 requests of ≤ 25 events, < 130 kB, one person per request (platforms.md §2A)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from google.protobuf import struct_pb2
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_ga4 import batching
from signalmesh_ga4.connector import Ga4Connector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def test_one_request_per_person_with_the_secret_in_the_query(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = [connector.prepare(make_event(f"e-{index}"), destination) for index in range(3)]
    [request] = connector.build_requests(batch, destination)
    url = urlsplit(request.url)
    assert (url.scheme, url.netloc, url.path) == ("https", "www.google-analytics.com", "/mp/collect")
    assert parse_qs(url.query) == {"measurement_id": ["G-ABC123"], "api_secret": ["secret-abc"]}
    body = json.loads(request.body)
    assert body["client_id"] == "1234567890.1795170000"
    assert [event["params"]["event_id"] for event in body["events"]] == ["e-0", "e-1", "e-2"]
    assert request.event_ids == ("e-0", "e-1", "e-2")
    # The spliced body is itself canonical JSON.
    assert (
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == request.body
    )


def test_different_people_never_share_a_request(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    first = make_event("a")
    second = make_event("b", click_ids=event_pb2.ClickIds(ga_client_id="111.222"))
    third = make_event("c")
    requests = connector.build_requests(
        [connector.prepare(e, destination) for e in (first, second, third)], destination
    )
    assert [request.event_ids for request in requests] == [("a", "c"), ("b",)]


def test_26_events_of_one_person_are_split_at_25(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = [connector.prepare(make_event(f"e-{index:02d}"), destination) for index in range(26)]
    assert [len(request.event_ids) for request in connector.build_requests(batch, destination)] == [25, 1]


def test_bodies_stay_under_130_kb(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    custom = struct_pb2.Struct()
    custom.update({f"note_{index}": "x" * 99 for index in range(24)})
    # About 6 kB per event: 25 of them would pass 130 kB.
    contents = [event_pb2.Content(id=f"sku-{index:04d}", name="n" * 90, quantity=1) for index in range(40)]
    batch = [
        connector.prepare(
            make_event(f"e-{index:02d}", custom_properties=custom, contents=contents), destination
        )
        for index in range(25)
    ]
    requests = connector.build_requests(batch, destination)
    assert len(requests) > 1
    assert all(len(request.body) < batching.MAX_BODY_BYTES for request in requests)
    assert [event_id for request in requests for event_id in request.event_ids] == [
        f"e-{i:02d}" for i in range(25)
    ]


def test_test_events_go_to_the_validation_server_apart_from_live_ones(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = [
        connector.prepare(make_event("live"), destination),
        connector.prepare(make_event("test", test_mode=True), destination),
    ]
    requests = connector.build_requests(batch, destination)
    assert [(urlsplit(r.url).path, r.event_ids) for r in requests] == [
        ("/mp/collect", ("live",)),
        ("/debug/mp/collect", ("test",)),
    ]


def test_a_test_mode_destination_never_sends_live(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    testing = replace(destination, test_mode=True)
    [request] = connector.build_requests([connector.prepare(make_event(), testing)], testing)
    assert urlsplit(request.url).path == "/debug/mp/collect"


def test_base_url_points_elsewhere(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    eu = replace(
        destination, settings={**destination.settings, "base_url": "https://region1.google-analytics.com/"}
    )
    [request] = connector.build_requests([connector.prepare(make_event(), eu)], eu)
    assert request.url.startswith("https://region1.google-analytics.com/mp/collect?")
