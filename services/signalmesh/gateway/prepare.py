"""Routing and edge preparation: which destinations an event goes to, and its hashed form for each.

After this step raw personal data exists nowhere: each connector normalises and hashes by its
own platform's rules, and only the resulting PreparedEvent travels on (policy, outbox, logs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    item = policy_pb2.DecisionInput()
    _write_decision_input(item, prepared)
    return item


def decide_request(
    prepared_events: Sequence[event_pb2.PreparedEvent], dry_run: bool = False
) -> policy_pb2.DecideRequest:
    """One batch's request to policy: each ``decision_input`` written in place in the request.

    Building the inputs first and handing them to ``DecideRequest(items=...)`` copies every one
    a second time; with keyword-built submessages the copies were most of the cost (a hot
    path: once per event and destination).
    """
    request = policy_pb2.DecideRequest(dry_run=dry_run)
    add = request.items.add
    for prepared in prepared_events:
        _write_decision_input(add(), prepared)
    return request


def _write_decision_input(item: policy_pb2.DecisionInput, prepared: event_pb2.PreparedEvent) -> None:
    item.event_id = prepared.event_id
    item.event_name = prepared.event_name
    item.destination = prepared.destination
    item.connector = prepared.connector
    item.action_source = prepared.action_source
    item.identifiers.extend(prepared.identifiers)
    item.test_mode = prepared.test_mode
    # Both are always present in the input, set or not in the event (as policy always got them).
    item.event_time.CopyFrom(prepared.event_time)
    item.consent.CopyFrom(prepared.consent)
