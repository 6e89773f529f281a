"""What a connector is: the seam between the core and one ad platform.

A connector is declarative where it can be (limits, eligibility rules, event-name mapping,
config schema) and pure where it must compute (prepare, match_quality, build_requests,
classify). It never opens a socket: transport, retries, rate limits, tracing and metrics
belong to the core, so every connector gets them right by construction.

Two members are optional, so a connector written before them keeps working: the words for its
identifiers (``identifier_labels``, read by CheckEvent's advice) and its own edge checks
(``check_event``, run by the gateway's validator). ``labels_of`` and ``problems_of`` read them
with their defaults; ``kit.BaseConnector`` provides both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from signalmesh.connector.types import (
    ConfigField,
    Destination,
    EligibilityRule,
    FieldProblem,
    HttpRequest,
    HttpResponse,
    Limits,
    MatchQuality,
    Outcome,
    TransportFailure,
)
from signalmesh.v1 import event_pb2

__all__ = ["ChecksEvents", "Connector", "LabelsIdentifiers", "labels_of", "problems_of"]


@runtime_checkable
class Connector(Protocol):
    """Everything the core needs from one platform. Register it with ``register_connectors``."""

    name: str
    description: str
    config_schema: tuple[ConfigField, ...]
    limits: Limits
    # Strategy name ("strict", "send_all") → the rule an event must satisfy.
    eligibility: Mapping[str, EligibilityRule]
    # ActionSource → identifiers the platform requires for that source (Meta: website needs
    # client_user_agent and event_source_url).
    required_identifiers: Mapping[int, frozenset[str]]

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        """Normalise and hash the event by this platform's rules. Pure."""
        ...

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        """Score the identifiers the prepared event carries. Pure."""
        ...

    def test_channel(self, destination: Destination) -> str | None:
        """How ``destination`` receives test_mode events (e.g. "test_event_code TEST123"), or None
        when it has no test channel: policy then skips test events rather than send them live."""
        ...

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        """Wrap up to ``limits.max_events_per_request`` prepared events in platform requests. Pure."""
        ...

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        """One Outcome per event of ``request`` (same order as ``request.event_ids``). Pure."""
        ...


@runtime_checkable
class LabelsIdentifiers(Protocol):
    """Optional: what each identifier name means to a person reading advice ("em" → "a hashed email")."""

    identifier_labels: Mapping[str, str]


@runtime_checkable
class ChecksEvents(Protocol):
    """Optional: the platform's own format rules, checked on every event at the edge. Pure."""

    def check_event(self, event: event_pb2.ConversionEvent) -> Sequence[FieldProblem]:
        """Problems with ``event`` by this platform's rules (paths as in the proto: ``click_ids.fbc``)."""
        ...


_NO_LABELS: Mapping[str, str] = MappingProxyType({})


def labels_of(connector: object) -> Mapping[str, str]:
    """The connector's ``identifier_labels``, or none when it declares no labels."""
    return connector.identifier_labels if isinstance(connector, LabelsIdentifiers) else _NO_LABELS


def problems_of(connector: object, event: event_pb2.ConversionEvent) -> Sequence[FieldProblem]:
    """What the connector's ``check_event`` finds in ``event``; nothing when it has no checks.

    Run for every event and installed connector, so the member is looked up directly: what
    ``isinstance(connector, ChecksEvents)`` checks for a one-method runtime protocol (the
    member is there and not None), without ``typing``'s protocol machinery on each call.
    """
    check: Callable[[event_pb2.ConversionEvent], Sequence[FieldProblem]] | None = getattr(
        connector, "check_event", None
    )
    return check(event) if check is not None else ()
