"""How the Redis backend lays state out: key names, entry ids and the status encoding.

Every key starts with the store's namespace. A destination's keys carry ``{destination}`` as a
hash tag, so the scripts that touch several of them address one slot. Status is JSON whose
``state``, ``attempts``, ``platform_response`` and ``updated_at`` the Lua scripts also edit.

Monitoring (DESIGN §11): a history bucket is one hash of counters, named by its JSON member in
a sorted set per resolution scored by the bucket's start, so a time range is one ZRANGEBYSCORE
(no KEYS or SCAN). Deliveries and observations are indexed the same way by event time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from signalmesh.monitoring.history import BucketKey
from signalmesh.store.base import (
    AlertRecord,
    DeliveryPayload,
    DeliveryRecord,
    Observation,
    PayloadRecord,
    StatusRecord,
)

# The consumer group every dispatcher of a destination reads through.
GROUP = "dispatchers"


def status_field(destination: str, event_name: str) -> str:
    """One event's field in its status hash. Destination names hold no '/', so the first '/'
    splits it; the event name is part of it because one id may name two events (Meta
    deduplicates on id + name)."""
    return f"{destination}/{event_name}"


def destination_of(field: str) -> str:
    return field.partition("/")[0]


@dataclass(frozen=True, slots=True)
class Keys:
    namespace: str

    def dedup(self, key: str) -> str:
        return f"{self.namespace}:dedup:{key}"

    def destinations(self) -> str:
        """A set of every destination ever accepted (to list streams and dead letters)."""
        return f"{self.namespace}:destinations"

    def status(self, event_id: str) -> str:
        """A hash: ``status_field(destination, event_name)`` → status JSON; expires after the
        status TTL."""
        return f"{self.namespace}:status:{event_id}"

    def payloads(self, event_id: str) -> str:
        """A hash beside the status one: ``status_field(destination, event_name)`` → the last kept
        exchange as JSON (``payload_json``); same TTL as the status."""
        return f"{self.namespace}:payloads:{event_id}"

    def stream(self, destination: str) -> str:
        """The outbox: one stream entry per unfinished delivery."""
        return self._per(destination, "outbox")

    def due(self, destination: str) -> str:
        """A sorted set: stream id of each delivered-but-unfinished entry → when it may be taken
        again (its lease's end, or its next attempt)."""
        return self._per(destination, "due")

    def attempts(self, destination: str) -> str:
        return self._per(destination, "attempts")

    def responses(self, destination: str) -> str:
        """The last platform response of each entry waiting to retry."""
        return self._per(destination, "responses")

    def dead(self, destination: str) -> str:
        """A sorted set: stream id of each dead letter → when it died."""
        return self._per(destination, "dead")

    def dead_entry(self, destination: str, stream_id: str) -> str:
        """A hash: the dead entry's fields, attempts, last response and reason."""
        return f"{self.dead(destination)}:{stream_id}"

    # --- monitoring ---
    def history_index(self, resolution: str) -> str:
        """A sorted set: ``bucket_member`` of each bucket of one resolution → its start."""
        return f"{self.namespace}:history:{resolution}:index"

    def history_bucket(self, resolution: str, member: str) -> str:
        """A hash: counter name → amount (HINCRBYFLOAT adds to it)."""
        return f"{self.namespace}:history:{resolution}:bucket:{member}"

    def deliveries(self) -> str:
        """A hash: ``delivery_member`` → the DeliveryRecord as JSON."""
        return f"{self.namespace}:deliveries"

    def deliveries_by_event_time(self) -> str:
        """A sorted set: ``delivery_member`` → the event's time."""
        return f"{self.namespace}:deliveries:by_event_time"

    def observations(self) -> str:
        """A sorted set: ``observation_member`` → the event's time. The member is the identity,
        so ZADD NX keeps a repeated firing once."""
        return f"{self.namespace}:observations"

    def alerts(self) -> str:
        """A hash: alert key → the AlertRecord as JSON."""
        return f"{self.namespace}:alerts"

    def lease(self, name: str) -> str:
        """A string ``"<expires_at>|<holder>"`` with a PX of the lease's time to live."""
        return f"{self.namespace}:lease:{name}"

    def first_seen(self, name: str) -> str:
        return f"{self.namespace}:first_seen:{name}"

    def document(self, kind: str) -> str:
        """A hash: ``body`` and ``put_at``."""
        return f"{self.namespace}:document:{kind}"

    # --- the conversion strategy ---
    def strategy(self) -> str:
        """A hash: scope ("" = the global default, or a destination) → "strict" | "send_all"."""
        return f"{self.namespace}:strategy"

    def strategy_changes(self) -> str:
        """A list of StrategyChange JSON objects, newest first (LPUSH); never trimmed."""
        return f"{self.namespace}:strategy:changes"

    def _per(self, destination: str, kind: str) -> str:
        return f"{self.namespace}:{kind}:{{{destination}}}"


def entry_id(destination: str, stream_id: str) -> str:
    """Stream ids are unique per stream only, so an entry id names its destination too."""
    return f"{destination}/{stream_id}"


def split_entry_id(entry_id: str) -> tuple[str, str]:
    """``meta/1717000000000-0`` → ``("meta", "1717000000000-0")``; not ours → ``("", ...)``."""
    destination, _, stream_id = entry_id.rpartition("/")
    return destination, stream_id


def text(value: Any) -> str:
    """A key, field or member as text (the client answers bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def status_json(status: StatusRecord, now: float) -> str:
    return json.dumps(
        {
            "event_name": status.event_name,
            "decision": status.decision,
            "reason": status.reason,
            "detail": status.detail,
            "state": status.state,
            "attempts": status.attempts,
            "platform_response": status.platform_response,
            "trace_id": status.trace_id,
            "updated_at": status.updated_at or now,
            "match_quality": status.match_quality,
        }
    )


def status_from_json(event_id: str, destination: str, raw: bytes | str) -> StatusRecord:
    fields: dict[str, Any] = json.loads(raw)
    return StatusRecord(
        event_id=event_id,
        destination=destination,
        event_name=str(fields["event_name"]),
        decision=int(fields["decision"]),
        reason=int(fields["reason"]),
        detail=str(fields["detail"]),
        state=int(fields["state"]),
        attempts=int(fields["attempts"]),
        platform_response=str(fields["platform_response"]),
        trace_id=str(fields["trace_id"]),
        updated_at=float(fields["updated_at"]),
        # Absent from statuses written before the score was kept: unknown.
        match_quality=float(fields.get("match_quality", 0.0)),
    )


def payload_json(payload: DeliveryPayload | None, now: float) -> str:
    """'' for no payload (the COMPLETE script then keeps the previous one)."""
    if payload is None:
        return ""
    return json.dumps({**asdict(payload), "recorded_at": now})


def payload_from_json(event_id: str, field: str, raw: bytes | str) -> PayloadRecord:
    fields: dict[str, Any] = json.loads(raw)
    recorded_at = float(fields.pop("recorded_at"))
    destination, _, event_name = field.partition("/")
    return PayloadRecord(event_id, destination, event_name, DeliveryPayload(**fields), recorded_at)


# --- monitoring encodings: JSON arrays as members, so no name needs a forbidden character ---
def bucket_member(key: BucketKey) -> str:
    return json.dumps([key.start, key.destination, key.event_name, key.mode])


def bucket_from_member(member: bytes | str) -> BucketKey:
    start, destination, event_name, mode = json.loads(member)
    return BucketKey(int(start), str(destination), str(event_name), str(mode))


def delivery_member(event_id: str, destination: str) -> str:
    return json.dumps([event_id, destination])


def delivery_destination(member: bytes | str) -> str:
    _, destination = json.loads(member)
    return str(destination)


def delivery_json(record: DeliveryRecord) -> str:
    return json.dumps(asdict(record))


def delivery_from_json(raw: bytes | str) -> DeliveryRecord:
    return DeliveryRecord(**json.loads(raw))


def observation_member(observation: Observation) -> str:
    return json.dumps([observation.event_id, observation.event_name, observation.destination])


def observation_from_member(member: bytes | str, event_time: float) -> Observation:
    event_id, event_name, destination = json.loads(member)
    return Observation(str(event_id), str(event_name), float(event_time), str(destination))


def alert_json(record: AlertRecord) -> str:
    return json.dumps(asdict(record))


def alert_from_json(raw: bytes | str) -> AlertRecord:
    return AlertRecord(**json.loads(raw))
