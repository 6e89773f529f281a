"""Per-destination circuit breaker: a platform that keeps failing is left alone for a while, so
its outage costs its own events time, never the other destinations' throughput. Pure: the
clock is passed in.

closed ──N consecutive failed requests──▶ open ──cooldown──▶ half-open (one probe)
   ▲                                        ▲                   │
   └──────────── probe succeeds ────────────┴── probe fails ────┘

An authentication failure (revoked or expired token) opens the breaker at once: retrying with
the same credentials cannot succeed, and every attempt would burn the events' retry budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class CircuitBreaker:
    failure_threshold: int
    cooldown_seconds: float
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float = 0.0
    # Why it opened, in words a person can act on (shown in GetEventStatus and logs).
    reason: str = ""
    # Opened because the platform refused the credentials (paused), not for failing requests.
    credentials: bool = False
    probe_in_flight: bool = False

    def allow_request(self, now: float) -> bool:
        """May a worker send now? In half-open, exactly one probe goes at a time."""
        if self.state is BreakerState.OPEN and now - self.opened_at >= self.cooldown_seconds:
            self.state = BreakerState.HALF_OPEN
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.HALF_OPEN and not self.probe_in_flight:
            self.probe_in_flight = True
            return True
        return False

    @property
    def probing(self) -> bool:
        return self.state is BreakerState.HALF_OPEN

    def record_success(self) -> bool:
        """Returns True when this success closed an open breaker (the destination recovered)."""
        recovered = self.state is not BreakerState.CLOSED
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.probe_in_flight = False
        self.reason = ""
        self.credentials = False
        return recovered

    def record_failure(self, now: float, reason: str, *, credentials: bool = False) -> bool:
        """Returns True when this failure opened the breaker."""
        self.consecutive_failures += 1
        self.probe_in_flight = False
        should_open = (
            credentials
            or self.state is BreakerState.HALF_OPEN
            or self.consecutive_failures >= self.failure_threshold
        )
        if not should_open:
            return False
        was_open = self.state is BreakerState.OPEN
        self.state = BreakerState.OPEN
        self.opened_at = now
        self.reason = reason
        self.credentials = credentials
        return not was_open
