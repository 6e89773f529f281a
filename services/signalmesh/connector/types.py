"""The plain data a connector declares and returns: settings, limits, eligibility rules,
destinations, HTTP requests and responses, outcomes, match quality and field problems.

Every type is a frozen dataclass (or an enum) so the core and the policy service can read a
connector's declarations without running its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, StrEnum
from typing import Any

from signalmesh.v1 import policy_pb2

__all__ = [
    "SEND_ALL",
    "STRATEGY_NAMES",
    "STRICT",
    "ConfigField",
    "Destination",
    "EligibilityRule",
    "FieldProblem",
    "HttpRequest",
    "HttpResponse",
    "Limits",
    "MatchQuality",
    "Outcome",
    "OutcomeKind",
    "PlatformEvent",
    "TransportFailure",
]


@dataclass(frozen=True, slots=True)
class ConfigField:
    """One setting a destination of this connector takes in ``signalmesh.toml``."""

    name: str
    description: str
    required: bool = True
    # Secret values are given as references (``env:META_TOKEN``, ``file:/run/secrets/x``)
    # and resolved by the core; they never appear in logs, spans or previews.
    secret: bool = False
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """The platform's hard limits; the core enforces them so the platform never has to."""

    max_events_per_request: int
    max_event_age: timedelta
    # Some platforms allow older events for some sources (Meta: physical_store 62 days).
    max_event_age_by_action_source: Mapping[int, timedelta] = field(default_factory=dict)
    # How far in the future an event_time may be (clock skew) before the platform refuses it.
    max_future_skew: timedelta = timedelta(minutes=10)
    requests_per_second: float | None = None

    def max_age_for(self, action_source: int) -> timedelta:
        return self.max_event_age_by_action_source.get(action_source, self.max_event_age)


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    """An event qualifies when every identifier of at least one alternative is present.

    Rules are data, not code, so the policy service can evaluate any connector's rules without
    running connector code, and ``signalmesh check`` can explain exactly what is missing.
    """

    any_of: tuple[frozenset[str], ...]
    # The policy Reason returned when no alternative is satisfied.
    reason: int
    # Says what is missing and how to fix it, e.g. "strict needs fbc or fbclid".
    detail: str
    # Optional: how each alternative of ``any_of`` (same order) reads when it is the one an event
    # satisfies, e.g. "enhanced conversions (hashed email)"; the decision's detail then says
    # which path made the event eligible, so `signalmesh status` can explain it.
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.paths and len(self.paths) != len(self.any_of):
            raise ValueError("EligibilityRule.paths: one label per alternative of any_of, in order")

    def is_satisfied_by(self, identifiers: frozenset[str]) -> bool:
        return any(alternative <= identifiers for alternative in self.any_of)

    def path_taken(self, identifiers: frozenset[str]) -> str | None:
        """The label of the first alternative ``identifiers`` satisfy; None when none is, or
        when the rule names no paths."""
        for alternative, label in zip(self.any_of, self.paths, strict=False):
            if alternative <= identifiers:
                return label
        return None


STRICT = "strict"
SEND_ALL = "send_all"
STRATEGY_NAMES = {STRICT: policy_pb2.STRATEGY_STRICT, SEND_ALL: policy_pb2.STRATEGY_SEND_ALL}


@dataclass(frozen=True, slots=True)
class Destination:
    """A configured destination: which connector, and its settings with secrets resolved."""

    name: str
    connector: str
    settings: Mapping[str, str]
    # None: the global default strategy applies.
    strategy: str | None = None
    # Every event to this destination goes to its test channel (a staging pixel, a trial).
    test_mode: bool = False
    # Settings given as secret references (setting → "env:NAME" / "file:PATH"), so a rotated
    # secret can be read again without a restart.
    secret_references: Mapping[str, str] = field(default_factory=dict)
    # The share (0–100 %) of live events sent; the others are skipped with REASON_ROLLOUT.
    rollout_percent: float = 100.0

    def setting(self, key: str, default: str = "") -> str:
        return self.settings.get(key, default) or default


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request the core will send; ``event_ids`` lists the events it carries, in order."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    event_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportFailure(str, Enum):  # noqa: UP042 — str() is "TransportFailure.TIMEOUT" (fake_connector)
    """The request got no HTTP answer."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"


class OutcomeKind(StrEnum):
    DELIVERED = "delivered"
    # Transient (5xx, 429, timeout): the core retries with backoff.
    RETRY = "retry"
    # Permanent: the platform refused this event; its message says why.
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one event of a request, in the platform's own words."""

    event_id: str
    kind: OutcomeKind
    message: str = ""
    code: str = ""
    field: str = ""
    # Seconds to wait before retrying (from Retry-After or the platform's throttling hint).
    retry_after: float | None = None
    # The platform refused the whole request and did not say which event caused it
    # (Meta rejects a batch for one bad event): the core resends such events one by one.
    whole_request: bool = False
    # The platform refused the credentials (expired or revoked token). Use with RETRY: the core
    # pauses the destination at once, keeps its events in the outbox and raises an alert.
    credentials: bool = False


@dataclass(frozen=True, slots=True)
class MatchQuality:
    """An estimate of how well the platform will match the event to a person (0–10)."""

    score: float
    # Identifiers that would raise the score, most valuable first.
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing a connector finds wrong with an event at the edge, before anything is accepted.

    Platform format rules (Meta's ``fbc`` cookie shape) belong to the platform's connector; the
    gateway's validator reports them beside its own, with the same path, rule code and fix.
    A ``warning`` is reported but does not reject the event.
    """

    field: str
    reason: str
    description: str
    warning: bool = False


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    """One event in the platform's shape: its per-event JSON object as plain data (personal data
    already hashed) and the identifier names present in it, sorted, in the connector's own
    vocabulary (the names its eligibility rules and match weights use)."""

    data: Mapping[str, Any]
    identifiers: tuple[str, ...]
