"""Dead letters for operators: listing them (filtered by destination and reason) with the request
the platform last saw, and choosing which to replay. The store keeps them; this reads and picks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from signalmesh.connector import Destination
from signalmesh.gateway.masking import shown_request
from signalmesh.plugins import ConnectorRegistry
from signalmesh.store.base import StatusRecord, Store
from signalmesh.v1 import event_pb2

DEAD_LETTER_PAGE = 100
# ListDeadLetters' largest page: a bigger limit is clamped to it (a negative one is refused).
MAX_DEAD_LETTER_PAGE = 1000
# Filtering by reason happens after the store read, so that read is generous.
_READ_WHEN_FILTERING = 100_000
_READ_ALL = 1_000_000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    record: StatusRecord
    # The request the connector builds from the kept event, secrets masked ("" when unknown).
    last_request: str


def matches(record: StatusRecord, reason_contains: str) -> bool:
    return not reason_contains or reason_contains.lower() in record.platform_response.lower()


def last_request(
    record: StatusRecord, destinations: Mapping[str, Destination], registry: ConnectorRegistry
) -> str:
    """What the platform last saw: build_requests is pure, so the kept event rebuilds it exactly."""
    destination = destinations.get(record.destination)
    if destination is None or not record.prepared:
        return ""
    prepared = event_pb2.PreparedEvent.FromString(record.prepared)
    connector = registry.get(destination.connector)
    [request, *_] = connector.build_requests([prepared], destination)
    return shown_request(request, destination, connector.config_schema)


async def list_dead_letters(
    store: Store,
    destinations: Mapping[str, Destination],
    registry: ConnectorRegistry,
    *,
    destination: str | None,
    reason_contains: str = "",
    limit: int = DEAD_LETTER_PAGE,
) -> list[DeadLetter]:
    """Up to ``limit`` dead letters, oldest first, whose platform answer contains ``reason_contains``."""
    records = await store.dead_letters(destination, limit if not reason_contains else _READ_WHEN_FILTERING)
    chosen = [record for record in records if matches(record, reason_contains)][:limit]
    return [DeadLetter(record, last_request(record, destinations, registry)) for record in chosen]


async def entries_to_replay(
    store: Store, *, entry_ids: Sequence[str], replay_all: bool, destination: str | None
) -> list[str] | None:
    """The entry ids to replay; None means every dead letter."""
    if replay_all and destination:
        return [record.entry_id for record in await store.dead_letters(destination, _READ_ALL)]
    return None if replay_all else list(entry_ids)
