"""classify: GA4's answers → one outcome per event. /mp/collect's 2xx is not taken on trust (§2A)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from google.protobuf import struct_pb2
from signalmesh.connector import Destination, HttpRequest, HttpResponse, OutcomeKind, TransportFailure
from signalmesh.v1 import event_pb2

from signalmesh_ga4.connector import Ga4Connector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
RETRY, REJECTED, DELIVERED = OutcomeKind.RETRY, OutcomeKind.REJECTED, OutcomeKind.DELIVERED


def one_request(
    connector: Ga4Connector, destination: Destination, *events: event_pb2.ConversionEvent
) -> HttpRequest:
    [request] = connector.build_requests(
        [connector.prepare(event, destination) for event in events], destination
    )
    return request


def validation_answer(*messages: dict[str, str]) -> HttpResponse:
    return HttpResponse(
        200, {"Content-Type": "application/json"}, json.dumps({"validationMessages": list(messages)}).encode()
    )


def test_empty_2xx_from_collect_is_delivered(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, destination, make_event("a"), make_event("b"))
    outcomes = connector.classify(request, HttpResponse(204, {}, b""))
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [("a", DELIVERED), ("b", DELIVERED)]


def test_2xx_with_a_body_ga4_never_sends_is_retried(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, destination, make_event())
    [outcome] = connector.classify(request, HttpResponse(200, {}, b"<html>captive portal</html>"))
    assert outcome.kind is RETRY and "captive portal" in outcome.message


def test_2xx_is_not_delivery_for_an_event_ga4_drops(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    """A reserved custom name and a value without currency: GA4 answers 2xx and drops the event."""
    reserved = make_event("bad", event_name="session_start")
    no_currency = make_event("cheap", event_name="Lead", value="5")
    request = one_request(connector, destination, make_event("good"), reserved, no_currency)
    outcomes = connector.classify(request, HttpResponse(204, {}, b""))
    assert [(o.event_id, o.kind, o.code, o.field) for o in outcomes] == [
        ("good", DELIVERED, "204", ""),
        ("bad", REJECTED, "NAME_RESERVED", "name"),
        ("cheap", REJECTED, "VALUE_REQUIRED", "params.currency"),
    ]
    assert outcomes[1].message.startswith("GA4 answered 204 but drops this event: name:")


def test_2xx_without_client_id_rejects_every_event(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, destination, make_event("a", click_ids=event_pb2.ClickIds()))
    [outcome] = connector.classify(request, HttpResponse(204, {}, b""))
    assert (outcome.kind, outcome.field, outcome.code) == (REJECTED, "client_id", "VALUE_REQUIRED")


def test_2xx_rejects_an_over_long_custom_value(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    custom = struct_pb2.Struct()
    custom.update({"note": "x" * 101})
    request = one_request(connector, destination, make_event(custom_properties=custom))
    [outcome] = connector.classify(request, HttpResponse(204, {}, b""))
    assert (outcome.kind, outcome.field, outcome.code) == (REJECTED, "params.note", "VALUE_OUT_OF_BOUNDS")


def test_validation_messages_are_mapped_to_the_events_they_name(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    test = replace(destination, test_mode=True)
    request = one_request(connector, test, make_event("a"), make_event("b"), make_event("c"))
    answer = validation_answer(
        {
            "fieldPath": "events",
            "description": "Event at index: [0] has invalid name [_badEventName]. "
            "Names must start with an alphabetic character.",
            "validationCode": "NAME_INVALID",
        },
        {
            "fieldPath": "events[2].params.currency",
            "description": "currency is required.",
            "validationCode": "VALUE_REQUIRED",
        },
    )
    outcomes = connector.classify(request, answer)
    assert [(o.event_id, o.kind, o.code, o.field) for o in outcomes] == [
        ("a", REJECTED, "NAME_INVALID", "name"),
        ("b", DELIVERED, "", ""),
        ("c", REJECTED, "VALUE_REQUIRED", "params.currency"),
    ]
    assert "_badEventName" in outcomes[0].message


def test_request_level_validation_message_rejects_every_event(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    test = replace(destination, test_mode=True)
    request = one_request(connector, test, make_event("a"), make_event("b"))
    answer = validation_answer(
        {
            "fieldPath": "user_data.sha256_email_address[0]",
            "description": "not a digest",
            "validationCode": "VALUE_INVALID",
        }
    )
    outcomes = connector.classify(request, answer)
    assert {(o.kind, o.field) for o in outcomes} == {(REJECTED, "user_data.sha256_email_address[0]")}


def test_empty_validation_messages_mean_valid(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, replace(destination, test_mode=True), make_event())
    [outcome] = connector.classify(request, validation_answer())
    assert outcome.kind is DELIVERED and "validation" in outcome.message


def test_validation_server_without_messages_is_retried(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, replace(destination, test_mode=True), make_event())
    [outcome] = connector.classify(request, HttpResponse(200, {}, b""))
    assert outcome.kind is RETRY


def test_throttling_outages_and_no_answer_are_retried(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, destination, make_event())
    [throttled] = connector.classify(request, HttpResponse(429, {"Retry-After": "12"}, b""))
    assert (throttled.kind, throttled.retry_after) == (RETRY, 12.0)
    assert connector.classify(request, HttpResponse(503, {}, b"down"))[0].kind is RETRY
    assert connector.classify(request, TransportFailure.TIMEOUT)[0].kind is RETRY


def test_4xx_is_rejected_with_the_body(
    connector: Ga4Connector, destination: Destination, make_event: MakeEvent
) -> None:
    request = one_request(connector, destination, make_event())
    [outcome] = connector.classify(request, HttpResponse(400, {}, b"Bad Request"))
    assert (outcome.kind, outcome.code, outcome.message) == (REJECTED, "400", "HTTP 400: Bad Request")
