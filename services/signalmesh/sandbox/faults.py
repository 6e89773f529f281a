"""Fault injection: rules that make a platform endpoint fail (status, 429 + Retry-After, latency,
connection reset) for the next N requests or with a probability. Randomness is injected, so a
seeded ``random.Random`` makes a chaos run repeatable."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

_KEYS = frozenset(
    {"platform", "destination", "status", "retry_after", "latency_ms", "reset", "count", "rate"}
)


@dataclass(slots=True)
class FaultRule:
    """One injected fault. ``remaining`` None: until cleared; ``rate`` None: every request."""

    platform: str
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    reset: bool = False
    remaining: int | None = None
    rate: float | None = None
    # Only requests whose path contains this (a pixel id, a customer id): one destination down.
    destination: str | None = None

    @property
    def answers(self) -> bool:
        """The rule decides the answer (a status or a reset), not only its delay."""
        return self.status is not None or self.reset

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do with one request: wait ``latency_ms``, then reset, answer ``status``, or serve it."""

    latency_ms: int = 0
    status: int | None = None
    retry_after: int | None = None
    reset: bool = False


def parse_fault(payload: Any, platforms: Collection[str]) -> FaultRule | str:
    """A FaultRule from the control API's JSON, or a message saying what is wrong with it."""
    if not isinstance(payload, dict):
        return 'a fault is a JSON object, e.g. {"platform": "meta", "status": 500, "count": 3}'
    unknown = sorted(set(payload) - _KEYS)
    if unknown:
        return f"unknown fault keys {unknown}; known: {sorted(_KEYS)}"
    platform = payload.get("platform")
    if not isinstance(platform, str) or platform not in platforms:
        return f"platform must be one of {sorted(platforms)}"
    status = payload.get("status")
    retry_after = payload.get("retry_after")
    latency_ms = payload.get("latency_ms", 0)
    reset = payload.get("reset", False)
    count = payload.get("count")
    rate = payload.get("rate")
    if status is not None and not (_is_int(status) and 400 <= status <= 599):
        return "status must be an HTTP error status from 400 to 599"
    if retry_after is not None and not (_is_int(retry_after) and retry_after >= 0 and status is not None):
        return "retry_after must be whole seconds ≥ 0, given with a status (usually 429 or 503)"
    if not (_is_int(latency_ms) and latency_ms >= 0):
        return "latency_ms must be an integer ≥ 0"
    if not isinstance(reset, bool):
        return "reset must be true or false"
    if count is not None and not (_is_int(count) and count > 0):
        return "count must be an integer ≥ 1"
    if rate is not None and not (_is_number(rate) and 0 < rate <= 1):
        return "rate must be a probability in (0, 1]"
    if reset and status is not None:
        return "reset and status exclude each other: a reset connection has no status"
    if status is None and not reset and not latency_ms:
        return "a fault needs a status, latency_ms or reset"
    destination = payload.get("destination")
    if destination is not None and (not isinstance(destination, str) or not destination):
        return "destination must be a non-empty string found in the request path (e.g. a pixel id)"
    rate = None if rate is None else float(rate)
    return FaultRule(
        platform, status, retry_after, latency_ms, reset, remaining=count, rate=rate, destination=destination
    )


class FaultInjector:
    """The active rules, drawn once per platform request in the order they were added."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        self._rules.append(rule)

    def clear(self, platform: str | None = None) -> int:
        kept = [rule for rule in self._rules if platform is not None and rule.platform != platform]
        cleared = len(self._rules) - len(kept)
        self._rules = kept
        return cleared

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def draw(self, platform: str, path: str = "") -> FaultDecision | None:
        """The fault for this request, or None to serve it normally.

        Every firing rule adds its latency; the first firing rule with a status or reset decides
        the answer, and later such rules are not drawn (they keep their count). ``count`` caps how
        often a rule fires; with ``rate`` it fires on each request with that probability.
        """
        latency_ms = 0
        answer: FaultRule | None = None
        fired = False
        for rule in self._rules:
            if rule.platform != platform or (answer is not None and rule.answers):
                continue
            if rule.destination is not None and rule.destination not in path:
                continue
            if rule.rate is not None and self._rng.random() >= rule.rate:
                continue
            fired = True
            latency_ms += rule.latency_ms
            if rule.answers:
                answer = rule
            if rule.remaining is not None:
                rule.remaining -= 1
        if not fired:
            return None
        self._rules = [rule for rule in self._rules if rule.remaining != 0]
        if answer is None:
            return FaultDecision(latency_ms=latency_ms)
        return FaultDecision(latency_ms, answer.status, answer.retry_after, answer.reset)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
