"""Which live events fall inside a destination's rollout share. Pure.

The choice is a stable hash of the event id alone — no process state, no randomness — so every
replica gives the same event the same answer, a retried event keeps its answer, and raising the
share only adds events (those in a 10 % share stay in a 25 % one).
"""

from __future__ import annotations

import hashlib

# The share's resolution: 0.01 %.
BUCKETS = 10_000


def rollout_bucket(event_id: str) -> int:
    """The event's place in [0, BUCKETS): the first 8 bytes of SHA-256(event id)."""
    digest = hashlib.sha256(event_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_rollout(event_id: str, percent: float) -> bool:
    """True when ``event_id`` is inside a ``percent`` (0–100) share."""
    if percent >= 100:
        return True
    return rollout_bucket(event_id) < round(percent * BUCKETS / 100)


def rollout_detail(percent: float, destination: str) -> str:
    return (
        f"rollout {percent:g} %: this event id is outside the share; "
        f"raise destinations.{destination}.rollout_percent to send more"
    )
