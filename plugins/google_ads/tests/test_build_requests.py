"""build_requests(): uploadClickConversions requests, chunked at 2,000, test apart from live, byte-stable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]


def prepare_many(
    connector: GoogleAdsConnector,
    destination: Destination,
    make_event: MakeEvent,
    count: int,
    *,
    test_mode: bool = False,
) -> list[event_pb2.PreparedEvent]:
    prefix = "test" if test_mode else "prod"
    return [
        connector.prepare(
            make_event(f"{prefix}-{index}", order_id=f"{prefix}-{index}", test_mode=test_mode), destination
        )
        for index in range(count)
    ]


def test_request_is_an_authenticated_post_to_the_customer_upload_url(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 2), destination)
    assert request.method == "POST"
    assert request.url == "https://googleads.googleapis.com/v25/customers/1234567890:uploadClickConversions"
    assert request.headers == {
        "Authorization": "Bearer ya29.token",
        "developer-token": "dev-token",
        "Content-Type": "application/json",
    }
    assert request.event_ids == ("prod-0", "prod-1")
    body = json.loads(request.body)
    assert (body["partialFailure"], body["validateOnly"]) == (True, False)
    assert [conversion["orderId"] for conversion in body["conversions"]] == ["prod-0", "prod-1"]


def test_manager_account_is_sent_as_login_customer_id_digits(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    manager = replace(destination, settings={**destination.settings, "login_customer_id": "111-222-3333"})
    [request] = connector.build_requests(prepare_many(connector, manager, make_event, 1), manager)
    assert request.headers["login-customer-id"] == "1112223333"


def test_base_url_and_api_version_come_from_the_destination(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    settings = {**destination.settings, "base_url": "http://127.0.0.1:7480/", "api_version": "v26"}
    sandbox = replace(destination, settings=settings)
    [request] = connector.build_requests(prepare_many(connector, sandbox, make_event, 1), sandbox)
    assert request.url == "http://127.0.0.1:7480/v26/customers/1234567890:uploadClickConversions"


@pytest.mark.parametrize(
    ("setting", "value"), [("customer_id", "12345abc"), ("login_customer_id", "mcc-one")]
)
def test_account_id_that_is_not_digits_stops_the_build_naming_the_setting(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent, setting: str, value: str
) -> None:
    broken = replace(destination, settings={**destination.settings, setting: value})
    with pytest.raises(ValueError, match=f"{setting} must be a Google Ads account id"):
        connector.build_requests(prepare_many(connector, broken, make_event, 1), broken)


def test_same_batch_gives_byte_identical_canonical_bodies(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    first = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    second = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    assert [request.body for request in first] == [request.body for request in second]
    body = first[0].body
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()


def test_4500_conversions_become_requests_of_2000_2000_and_500_in_order(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = prepare_many(connector, destination, make_event, 4500)
    requests = connector.build_requests(batch, destination)
    assert [len(request.event_ids) for request in requests] == [2000, 2000, 500]
    assert [event_id for request in requests for event_id in request.event_ids] == [p.event_id for p in batch]
    for request in requests:
        orders = [conversion["orderId"] for conversion in json.loads(request.body)["conversions"]]
        assert orders == list(request.event_ids)


def test_test_events_go_validate_only_and_never_share_a_request_with_live_ones(
    connector: GoogleAdsConnector, destination: Destination, make_event: MakeEvent
) -> None:
    live = prepare_many(connector, destination, make_event, 2)
    test = prepare_many(connector, destination, make_event, 2, test_mode=True)
    requests = connector.build_requests([live[0], test[0], live[1], test[1]], destination)
    assert [request.event_ids for request in requests] == [("prod-0", "prod-1"), ("test-0", "test-1")]
    assert [json.loads(request.body)["validateOnly"] for request in requests] == [False, True]
    assert all(json.loads(request.body)["partialFailure"] is True for request in requests)


def test_test_channel_is_validate_only_for_every_destination(
    connector: GoogleAdsConnector, destination: Destination
) -> None:
    assert connector.test_channel(destination) == "validate_only"


def test_empty_batch_builds_no_request(connector: GoogleAdsConnector, destination: Destination) -> None:
    assert connector.build_requests([], destination) == []
