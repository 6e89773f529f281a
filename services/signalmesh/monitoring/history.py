"""History is counters, not events: per hour × destination × event name × mode (DESIGN §11).

The accept pipeline and the dispatcher build a ``HistoryDelta`` per batch and hand it to the
store in the same write that records outbox entries and statuses, so keeping history costs no
extra round trip. Counter names are flat strings (``"skipped.duplicate"``); the families below
are the whole vocabulary, so readers (stats, alerts, the report) and both backends agree.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

HOUR = 3600
DAY = 86_400
LIVE = "live"
TEST = "test"
HOURLY = "hour"
DAILY = "day"

# --- counter vocabulary -------------------------------------------------------------------
RECEIVED = "received"
# Accepted more than [quality] stale_after after its event_time (warning event_time.stale).
STALE = "stale"
REJECTED = "rejected."  # + validation rule, e.g. "rejected.value.decimal"
DECIDED_SEND = "decided.send"
SKIPPED = "skipped."  # + policy reason, e.g. "skipped.duplicate"
DELIVERED = "delivered"
DELIVERED_NO_CLICK_ID = "delivered.no_click_id"  # what send_all adds over strict
REFUSED = "refused."  # + platform reason (4xx class)
RETRIED = "retried."  # + "5xx" | "429" | "timeout" | ...
DEAD_LETTERED = "dead_lettered."  # + reason
MATCH_QUALITY_SUM = "match_quality.sum"
MATCH_QUALITY_COUNT = "match_quality.count"
LATENCY = "latency.le."  # + bucket upper bound in seconds ("inf" for the last)
VALUE = "value."  # + ISO 4217 currency: sum of delivered values
# Decided at accept time under *both* strategies, whichever was in effect (strategy compare):
WOULD_SEND = "would_send."  # + strategy: events that strategy sends
WOULD_SEND_VALUE = "would_send_value."  # + strategy + "." + currency: their value

# Delivery latency from event_time to the platform's acceptance: seconds to days.
LATENCY_BUCKETS: tuple[float, ...] = (
    1,
    5,
    15,
    60,
    5 * 60,
    15 * 60,
    HOUR,
    4 * HOUR,
    12 * HOUR,
    DAY,
    3 * DAY,
    7 * DAY,
    math.inf,
)


def _bound_name(bound: float) -> str:
    return "inf" if math.isinf(bound) else str(int(bound))


# Each bucket's counter name, spelt once: the dispatcher names one per delivered event.
_LATENCY_COUNTERS: tuple[str, ...] = tuple(f"{LATENCY}{_bound_name(bound)}" for bound in LATENCY_BUCKETS)


def latency_counter(seconds: float) -> str:
    """The histogram counter a latency falls in (a bucket holds latencies ≤ its bound)."""
    return _LATENCY_COUNTERS[bisect.bisect_left(LATENCY_BUCKETS, max(seconds, 0.0))]


def latency_bound(counter: str) -> float:
    """Inverse of ``latency_counter``: the bucket's upper bound in seconds."""
    name = counter.removeprefix(LATENCY)
    return math.inf if name == "inf" else float(name)


def hour_start(epoch_seconds: float) -> int:
    return int(epoch_seconds // HOUR) * HOUR


def day_start(epoch_seconds: float) -> int:
    return int(epoch_seconds // DAY) * DAY


@dataclass(frozen=True, slots=True, order=True)
class BucketKey:
    """One history bucket: ``start`` is the epoch second the hour (or, for roll-ups, the UTC
    day) begins."""

    start: int
    destination: str
    event_name: str
    mode: str = LIVE


# (destination, event name, mode, counter): one counter of one bucket of a batch's hour.
TallyKey = tuple[str, str, str, str]


def tally(counts: dict[TallyKey, float], key: TallyKey, amount: float = 1.0) -> None:
    """Add ``amount`` to ``counts[key]``: a batch's counting before it becomes a delta."""
    counts[key] = counts.get(key, 0.0) + amount


@dataclass(slots=True)
class HistoryDelta:
    """Counter increments gathered during one batch, written by the store in that batch's
    own transaction (SQLite) or pipeline (Redis)."""

    counts: dict[BucketKey, dict[str, float]] = field(default_factory=dict)

    def add(
        self,
        at: float,
        destination: str,
        event_name: str,
        counter: str,
        amount: float = 1.0,
        mode: str = LIVE,
    ) -> None:
        key = BucketKey(hour_start(at), destination, event_name, mode)
        counters = self.counts.setdefault(key, {})
        counters[counter] = counters.get(counter, 0.0) + amount

    def add_tally(self, at: float, tally: Mapping[TallyKey, float]) -> None:
        """``add`` for each of ``tally``'s increments, in its order, all at ``at``.

        A batch counts into a plain dict keyed by tuples and hands it over once: a bucket key
        is built (and hashed) per distinct bucket of the batch, not per counted event. Into an
        empty delta the sums are exactly those of ``add`` per increment: ``tally`` adds each
        counter's increments in the same order, from the same 0.0.
        """
        start = hour_start(at)
        buckets: dict[tuple[str, str, str], dict[str, float]] = {}
        for (destination, event_name, mode, counter), amount in tally.items():
            counters = buckets.get((destination, event_name, mode))
            if counters is None:
                key = BucketKey(start, destination, event_name, mode)
                counters = buckets[destination, event_name, mode] = self.counts.setdefault(key, {})
            counters[counter] = counters.get(counter, 0.0) + amount

    def merge(self, other: HistoryDelta) -> None:
        for key, counters in other.counts.items():
            mine = self.counts.setdefault(key, {})
            for name, amount in counters.items():
                mine[name] = mine.get(name, 0.0) + amount

    def items(self) -> Iterator[tuple[BucketKey, str, float]]:
        for key, counters in self.counts.items():
            for name, amount in counters.items():
                yield key, name, amount

    def __bool__(self) -> bool:
        return bool(self.counts)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """A bucket as the store returns it."""

    key: BucketKey
    counters: Mapping[str, float]

    def get(self, counter: str) -> float:
        return self.counters.get(counter, 0.0)

    def family(self, prefix: str) -> dict[str, float]:
        return counter_family(self.counters, prefix)


def counter_family(counters: Mapping[str, float], prefix: str) -> dict[str, float]:
    """Counters of one family by their suffix, e.g. ``counter_family(row, SKIPPED)`` → {"duplicate": 3}."""
    return {name.removeprefix(prefix): amount for name, amount in counters.items() if name.startswith(prefix)}


def sum_rows(rows: Iterable[HistoryRow]) -> dict[str, float]:
    """All counters of ``rows`` added up."""
    total: dict[str, float] = {}
    for row in rows:
        for name, amount in row.counters.items():
            total[name] = total.get(name, 0.0) + amount
    return total


def latency_quantile(counters: Mapping[str, float], quantile: float) -> float | None:
    """The upper bound of the bucket holding the ``quantile`` (0–1) latency, None without data."""
    buckets = sorted(
        ((latency_bound(name), amount) for name, amount in counters.items() if name.startswith(LATENCY)),
    )
    total = sum(amount for _, amount in buckets)
    if total <= 0:
        return None
    seen = 0.0
    for bound, amount in buckets:
        seen += amount
        if seen >= quantile * total:
            return bound
    return buckets[-1][0]
