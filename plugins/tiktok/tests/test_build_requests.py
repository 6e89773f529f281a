"""build_requests(): TikTok /event/track/ requests: one event source and mode each, ≤1,000 events."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_tiktok.connector import TikTokConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
WEBSITE, STORE, APP = (
    event_pb2.ACTION_SOURCE_WEBSITE,
    event_pb2.ACTION_SOURCE_PHYSICAL_STORE,
    event_pb2.ACTION_SOURCE_APP,
)


def prepare_many(
    connector: TikTokConnector,
    destination: Destination,
    make_event: MakeEvent,
    count: int,
    *,
    prefix: str = "web",
    action_source: int = WEBSITE,
    test_mode: bool = False,
) -> list[event_pb2.PreparedEvent]:
    user = event_pb2.UserData(emails=["a@example.com"])
    return [
        connector.prepare(
            make_event(f"{prefix}-{index}", user_data=user, action_source=action_source, test_mode=test_mode),
            destination,
        )
        for index in range(count)
    ]


def test_request_posts_to_event_track_with_the_access_token_header(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 2), destination)
    assert request.method == "POST"
    assert request.url == "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    assert request.headers == {"Access-Token": "token-abc", "Content-Type": "application/json"}
    assert request.event_ids == ("web-0", "web-1")
    body = json.loads(request.body)
    assert (body["event_source"], body["event_source_id"]) == ("web", "C4PIXEL0123456789")
    assert [event["event_id"] for event in body["data"]] == ["web-0", "web-1"]
    assert "test_event_code" not in body
    # TikTok: event_time is an integer number of seconds.
    assert isinstance(body["data"][0]["event_time"], int)


def test_base_url_comes_from_the_destination(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    sandbox = replace(destination, settings={**destination.settings, "base_url": "http://127.0.0.1:7480/"})
    [request] = connector.build_requests(prepare_many(connector, sandbox, make_event, 1), sandbox)
    assert request.url == "http://127.0.0.1:7480/open_api/v1.3/event/track/"


def test_same_batch_gives_byte_identical_canonical_bodies(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    first = connector.build_requests(
        prepare_many(connector, destination, make_event, 3, test_mode=True), destination
    )
    second = connector.build_requests(
        prepare_many(connector, destination, make_event, 3, test_mode=True), destination
    )
    assert [request.body for request in first] == [request.body for request in second]
    body = first[0].body
    assert (
        body
        == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_2500_events_become_requests_of_1000_1000_and_500_in_order(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = prepare_many(connector, destination, make_event, 2500)
    requests = connector.build_requests(batch, destination)
    assert [len(request.event_ids) for request in requests] == [1000, 1000, 500]
    assert [event_id for request in requests for event_id in request.event_ids] == [p.event_id for p in batch]
    for request in requests:
        assert [event["event_id"] for event in json.loads(request.body)["data"]] == list(request.event_ids)


@pytest.mark.parametrize(
    ("action_source", "event_source"),
    [
        (event_pb2.ACTION_SOURCE_WEBSITE, "web"),
        (event_pb2.ACTION_SOURCE_APP, "app"),
        (event_pb2.ACTION_SOURCE_PHYSICAL_STORE, "offline"),
        (event_pb2.ACTION_SOURCE_PHONE_CALL, "offline"),
        (event_pb2.ACTION_SOURCE_EMAIL, "offline"),
        (event_pb2.ACTION_SOURCE_CHAT, "offline"),
        (event_pb2.ACTION_SOURCE_BUSINESS_MESSAGING, "offline"),
        (event_pb2.ACTION_SOURCE_OTHER, "offline"),
        (event_pb2.ACTION_SOURCE_SYSTEM_GENERATED, "crm"),
    ],
)
def test_action_source_decides_the_requests_event_source(
    connector: TikTokConnector,
    destination: Destination,
    make_event: MakeEvent,
    action_source: int,
    event_source: str,
) -> None:
    batch = prepare_many(connector, destination, make_event, 1, action_source=action_source)
    [request] = connector.build_requests(batch, destination)
    assert json.loads(request.body)["event_source"] == event_source


def test_event_sources_and_test_mode_never_share_a_request_and_groups_keep_first_seen_order(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    store = prepare_many(connector, destination, make_event, 2, prefix="store", action_source=STORE)
    web = prepare_many(connector, destination, make_event, 2, prefix="web")
    test_web = prepare_many(connector, destination, make_event, 1, prefix="test-web", test_mode=True)
    app = prepare_many(connector, destination, make_event, 1, prefix="app", action_source=APP)
    mixed = [store[0], web[0], test_web[0], store[1], app[0], web[1]]
    requests = connector.build_requests(mixed, destination)
    assert [request.event_ids for request in requests] == [
        ("store-0", "store-1"),
        ("web-0", "web-1"),
        ("test-web-0",),
        ("app-0",),
    ]
    bodies = [json.loads(request.body) for request in requests]
    assert [body["event_source"] for body in bodies] == ["offline", "web", "web", "app"]
    assert [body.get("test_event_code") for body in bodies] == [None, None, "TEST123", None]


def test_test_events_without_a_test_event_code_are_sent_without_one(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """Policy skips test events when test_channel is None; if one gets here it is not marked."""
    plain = replace(destination, settings={"pixel_code": "C4", "access_token": "t"})
    [request] = connector.build_requests(prepare_many(connector, plain, make_event, 1, test_mode=True), plain)
    assert "test_event_code" not in json.loads(request.body)


def test_empty_batch_builds_no_request(connector: TikTokConnector, destination: Destination) -> None:
    assert connector.build_requests([], destination) == []


@pytest.mark.parametrize("missing", ["access_token", "pixel_code"])
def test_missing_required_setting_is_a_configuration_bug(
    connector: TikTokConnector, destination: Destination, make_event: MakeEvent, missing: str
) -> None:
    broken = replace(
        destination, settings={key: value for key, value in destination.settings.items() if key != missing}
    )
    with pytest.raises(ValueError, match=missing):
        connector.build_requests(prepare_many(connector, broken, make_event, 1), broken)
