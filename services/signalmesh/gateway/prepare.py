"""Routing and edge preparation: which destinations an event goes to, and its hashed form for each.

After this step raw personal data exists nowhere: each connector normalises and hashes by its
own platform's rules, and only the resulting PreparedEvent travels on (policy, outbox, logs).
"""

from __future__ import annotations

from collections.abc import Mapping

from signalmesh.connector import Destination
from signalmesh.plugins import ConnectorRegistry
from signalmesh.v1 import event_pb2, policy_pb2


def route(event: event_pb2.ConversionEvent, destinations: Mapping[str, Destination]) -> list[Destination]:
    """The event's explicit destinations, or every configured one. Never broadcast past the list."""
    if event.destinations:
        return [destinations[name] for name in dict.fromkeys(event.destinations) if name in destinations]
    return list(destinations.values())


def prepare_event(
    event: event_pb2.ConversionEvent, targets: list[Destination], registry: ConnectorRegistry
) -> list[event_pb2.PreparedEvent]:
    prepared = []
    for destination in targets:
        connector = registry.get(destination.connector)
        result = connector.prepare(event, destination)
        result.destination = destination.name
        result.connector = connector.name
        # A destination configured for testing sends everything to its test channel.
        result.test_mode = event.test_mode or destination.test_mode
        result.value, result.currency = event.value, event.currency
        prepared.append(result)
    return prepared


def decision_input(prepared: event_pb2.PreparedEvent) -> policy_pb2.DecisionInput:
    """What policy needs to decide: identifiers' names, never their values."""
    return policy_pb2.DecisionInput(
        event_id=prepared.event_id,
        event_name=prepared.event_name,
        destination=prepared.destination,
        connector=prepared.connector,
        event_time=prepared.event_time,
        action_source=prepared.action_source,
        identifiers=prepared.identifiers,
        test_mode=prepared.test_mode,
        consent=prepared.consent,
    )
