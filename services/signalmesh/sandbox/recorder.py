"""What the sandbox accepted: events per platform and destination, deduplicated the way the
platform would, plus request counters. In memory only; the control API reads it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KeyedEvent = tuple[Hashable | None, Mapping[str, Any]]


@dataclass(slots=True)
class _Bucket:
    """One (platform, destination, test) stream of accepted events."""

    events: list[Mapping[str, Any]] = field(default_factory=list)
    # Dedup key → when the first event with that key was received.
    first_seen: dict[Hashable, float] = field(default_factory=dict)
    duplicates: int = 0


@dataclass(slots=True)
class PlatformCounters:
    requests: int = 0
    # Events answered 2xx outside test mode, duplicates included (what the platform "received").
    accepted_events: int = 0
    # Events answered 2xx in test mode (Meta: test_event_code); kept apart from production.
    test_events: int = 0
    # Production events discarded as duplicates of an earlier event.
    duplicates: int = 0
    # Requests the platform itself refused (4xx: validation, auth); injected faults excluded.
    rejected_requests: int = 0
    faults_injected: int = 0
    # "200", "400", "503" … and "reset" for connections closed without an answer.
    by_status: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted_events": self.accepted_events,
            "test_events": self.test_events,
            "duplicates": self.duplicates,
            "rejected_requests": self.rejected_requests,
            "faults_injected": self.faults_injected,
            "by_status": dict(self.by_status),
        }


class Recorder:
    """The sandbox's memory. Single event loop, so no locking."""

    def __init__(self, clock: Callable[[], float], platforms: Iterable[str] = ()) -> None:
        self._clock = clock
        self._platforms = tuple(platforms)
        self._buckets: dict[tuple[str, str, bool], _Bucket] = {}
        self._counters: dict[str, PlatformCounters] = {}
        self.reset()

    def reset(self) -> None:
        self._buckets.clear()
        self._counters = {platform: PlatformCounters() for platform in self._platforms}

    def count_request(self, platform: str) -> None:
        self._counters_for(platform).requests += 1

    def count_fault(self, platform: str) -> None:
        self._counters_for(platform).faults_injected += 1

    def count_response(self, platform: str, status: str, *, rejected: bool = False) -> None:
        counters = self._counters_for(platform)
        counters.by_status[status] += 1
        if rejected:
            counters.rejected_requests += 1

    def accept(
        self,
        platform: str,
        destination: str,
        keyed_events: Iterable[KeyedEvent],
        *,
        test: bool,
        window_seconds: float,
    ) -> int:
        """Record accepted events; a key seen less than ``window_seconds`` ago is only counted.

        Events whose key is None are always recorded. Returns how many were duplicates.
        """
        bucket = self._buckets.setdefault((platform, destination, test), _Bucket())
        now = self._clock()
        received = duplicates = 0
        for key, event in keyed_events:
            received += 1
            if key is not None:
                first_seen = bucket.first_seen.get(key)
                if first_seen is not None and now - first_seen < window_seconds:
                    duplicates += 1
                    continue
                bucket.first_seen[key] = now
            bucket.events.append(event)
        bucket.duplicates += duplicates
        counters = self._counters_for(platform)
        if test:
            counters.test_events += received
        else:
            counters.accepted_events += received
            counters.duplicates += duplicates
        return duplicates

    def events(self, platform: str, destination: str, test: bool = False) -> list[Mapping[str, Any]]:
        bucket = self._buckets.get((platform, destination, test))
        return list(bucket.events) if bucket else []

    def duplicates(self, platform: str, destination: str, test: bool = False) -> int:
        bucket = self._buckets.get((platform, destination, test))
        return bucket.duplicates if bucket else 0

    def stats(self) -> dict[str, dict[str, Any]]:
        return {platform: counters.as_dict() for platform, counters in self._counters.items()}

    def _counters_for(self, platform: str) -> PlatformCounters:
        return self._counters.setdefault(platform, PlatformCounters())
