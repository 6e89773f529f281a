"""The fixed inputs the conformance suite feeds a connector: platform answers to classify,
malformed bodies, and copies of the sample events. Data and pure helpers only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from google.protobuf.message import Message

from signalmesh.connector import HttpResponse, TransportFailure
from signalmesh.v1 import event_pb2, policy_pb2

# Pure tests never send anything; the destination only needs a plausible sandbox address.
OFFLINE_SANDBOX_URL = "http://127.0.0.1:7480"

# A setting whose name contains one of these holds a credential (DESIGN.md §8: secrets are
# references, resolved by the core, never logged).
SECRET_NAME_PARTS = ("token", "secret", "key", "password")

# Every kind of answer a connector meets; classify must give one outcome per event for each.
CLASSIFY_CASES: Mapping[str, HttpResponse | TransportFailure] = MappingProxyType(
    {
        "timeout": TransportFailure.TIMEOUT,
        "connection": TransportFailure.CONNECTION,
        "200-html": HttpResponse(200, {"Content-Type": "text/html"}, b"<html>oops</html>"),
        "204-empty": HttpResponse(204, {}, b""),
        "400-text": HttpResponse(400, {"Content-Type": "text/plain"}, b"Bad Request"),
        "401-json": HttpResponse(401, {"Content-Type": "application/json"}, b'{"error":"unauthorized"}'),
        "403-empty": HttpResponse(403, {}, b""),
        "404-html": HttpResponse(404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"),
        "408-empty": HttpResponse(408, {}, b""),
        "429-retry-after": HttpResponse(429, {"Retry-After": "7"}, b"Too Many Requests"),
        "500-text": HttpResponse(500, {}, b"Internal Server Error"),
        "502-html": HttpResponse(502, {"Content-Type": "text/html"}, b"<html>Bad Gateway</html>"),
        "503-json": HttpResponse(503, {"Content-Type": "application/json"}, b'{"error":"unavailable"}'),
    }
)

# 2xx bodies no platform sends on success: empty, HTML from a proxy, binary, cut-off JSON.
MALFORMED_2XX_BODIES: tuple[bytes, ...] = (
    b"",
    b"<html><body>Gateway maintenance</body></html>",
    b"\xff\xfe\x00garbage",
    b'{"events_received": 1, "mess',
)


def distinct_events(
    samples: Sequence[event_pb2.ConversionEvent], count: int
) -> list[event_pb2.ConversionEvent]:
    """``count`` copies of the samples, cycled, each with its own event id.

    Fixed-width ids (``conformance-000001``) never contain one another, so a body can be
    searched for them; an order id, when the sample has one, follows the event id so that
    platforms keyed on the order see distinct events too.
    """
    events: list[event_pb2.ConversionEvent] = []
    for index in range(count):
        event = event_pb2.ConversionEvent()
        event.CopyFrom(samples[index % len(samples)])
        event.event_id = f"conformance-{index:06d}"
        if event.order_id:
            event.order_id = event.event_id
        events.append(event)
    return events


def decision_input(prepared: event_pb2.PreparedEvent) -> policy_pb2.DecisionInput:
    """What the gateway asks the policy about one prepared event."""
    item = policy_pb2.DecisionInput(
        event_id=prepared.event_id,
        event_name=prepared.event_name,
        destination=prepared.destination,
        connector=prepared.connector,
        action_source=prepared.action_source,
        identifiers=list(prepared.identifiers),
        test_mode=prepared.test_mode,
    )
    item.event_time.CopyFrom(prepared.event_time)
    item.consent.CopyFrom(prepared.consent)
    return item


def snapshot(message: Message) -> bytes:
    """A message's bytes in a stable field order, to compare before and after a call."""
    return message.SerializeToString(deterministic=True)
