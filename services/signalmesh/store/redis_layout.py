"""How the Redis backend lays state out: key names, entry ids and the status encoding.

Every key starts with the store's namespace. A destination's keys carry ``{destination}`` as a
hash tag, so the scripts that touch several of them address one slot. Status is JSON whose
``state``, ``attempts``, ``platform_response`` and ``updated_at`` the Lua scripts also edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from signalmesh.store.base import StatusRecord

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
    )
