"""The fuzz target: wire decoder → validator → every installed connector's prepare and build.

The documented results are: bytes that do not decode (``DecodeError``), an event refused with
field violations, or an event prepared and built into requests for every destination. Anything
else raised is a crash: the harness counts it and lets it propagate, so Hypothesis shrinks it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError
from signalmesh.connector import Destination
from signalmesh.gateway.accept import check_event
from signalmesh.gateway.prepare import prepare_event, route
from signalmesh.plugins import ConnectorRegistry, load_registry
from signalmesh.v1 import event_pb2, gateway_pb2

# One destination per installed connector, with the settings its conformance suite uses.
_SETTINGS = {
    "meta": {"pixel_id": "1234567890", "access_token": "t", "test_event_code": "TEST123"},
    "ga4": {"measurement_id": "G-ABC123", "api_secret": "s"},
    "google_ads": {
        "customer_id": "1234567890",
        "access_token": "t",
        "developer_token": "d",
        "conversion_actions.Purchase": "987654321",
    },
    "linkedin": {"access_token": "t", "conversion_rules.Purchase": "123456"},
    "tiktok": {"pixel_code": "C4CONFORMANCE0PIXEL", "access_token": "t", "test_event_code": "TEST123"},
    "webhook": {"url": "https://hooks.example.com/in", "secret": "s"},
}


@dataclass
class Tally:
    """What the fuzz saw: inputs by kind and result, and the crashes (exception type names)."""

    counts: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    status_codes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        unknown_or_internal = self.status_codes["UNKNOWN"] + self.status_codes["INTERNAL"]
        counts = ", ".join(f"{name}={count}" for name, count in sorted(self.counts.items()))
        codes = ", ".join(f"{name}={count}" for name, count in sorted(self.status_codes.items()))
        return (
            f"inputs tried: {self.counts['inputs']} ({counts}); crashes: {len(self.crashes)}; "
            f"gRPC calls: {sum(self.status_codes.values())} ({codes or 'none'}); "
            f"UNKNOWN/INTERNAL: {unknown_or_internal}"
        )


class Target:
    """Every installed connector behind one destination each, as the gateway would route."""

    def __init__(self, tally: Tally, registry: ConnectorRegistry | None = None) -> None:
        self.tally = tally
        self.registry = registry or load_registry()
        self.destinations = {
            connector.name: Destination(connector.name, connector.name, _SETTINGS.get(connector.name, {}))
            for connector in self.registry.connectors()
        }

    def bytes_in(self, data: bytes) -> None:
        """Bytes as the gateway's SendEventsRequest decoder sees them."""
        self.tally.counts["inputs"] += 1
        try:
            request = gateway_pb2.SendEventsRequest.FromString(data)
        except DecodeError:
            self.tally.counts["undecodable"] += 1
            return
        self.tally.counts["decoded"] += 1
        for event in request.events:
            self._event(event)

    def event_in(self, event: event_pb2.ConversionEvent) -> None:
        """A structured event, also put through the wire (serialise, decode) first."""
        self.tally.counts["inputs"] += 1
        self._event(event_pb2.ConversionEvent.FromString(event.SerializeToString()))

    def _event(self, event: event_pb2.ConversionEvent) -> None:
        try:
            outcome = check_event(event, time.time(), self.destinations, {}, None, self.registry.connectors())
            if not outcome.accepted:
                self.tally.counts["refused"] += 1
                return
            for prepared in prepare_event(
                outcome.event, route(outcome.event, self.destinations), self.registry
            ):
                connector = self.registry.get(prepared.connector)
                connector.match_quality(prepared)
                connector.build_requests([prepared], self.destinations[prepared.destination])
            self.tally.counts["built"] += 1
        except Exception as error:
            self.tally.crashes.append(type(error).__name__)
            raise
