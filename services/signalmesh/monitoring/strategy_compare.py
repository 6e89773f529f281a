"""The trade-off between the two strategies in the user's own numbers: per destination, how
many live events each would have sent, and their value. Pure, over history rows.

The counts come from ``would_send.<strategy>`` (``gateway/strategy_counts.py``): at accept time
both strategies' rules are applied to every event whichever was in effect, so the comparison
holds over a range in which the strategy changed. History kept before those counters existed,
or with ``[stats] enabled = false``, has none: the destination is then left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from signalmesh.connector import SEND_ALL, STRICT
from signalmesh.monitoring import history


@dataclass(frozen=True, slots=True)
class StrategyTotals:
    events: float = 0.0
    # ISO 4217 currency → sum of the values of those events.
    values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DestinationComparison:
    destination: str
    strict: StrategyTotals
    send_all: StrategyTotals

    @property
    def send_all_adds(self) -> float:
        """Events send_all sends over strict's (those without the platform's click id)."""
        return self.send_all.events - self.strict.events


def _totals(counters: Mapping[str, float], strategy: str) -> StrategyTotals:
    prefix = f"{history.WOULD_SEND_VALUE}{strategy}."
    values = {
        name.removeprefix(prefix): amount for name, amount in counters.items() if name.startswith(prefix)
    }
    return StrategyTotals(counters.get(f"{history.WOULD_SEND}{strategy}", 0.0), values)


def compare_strategies(rows: Iterable[history.HistoryRow]) -> list[DestinationComparison]:
    """One comparison per destination with live events counted, by destination name."""
    by_destination: dict[str, list[history.HistoryRow]] = {}
    for row in rows:
        if row.key.mode == history.LIVE:
            by_destination.setdefault(row.key.destination, []).append(row)
    comparisons = []
    for destination in sorted(by_destination):
        counters = history.sum_rows(by_destination[destination])
        if not any(name.startswith(history.WOULD_SEND) for name in counters):
            continue
        comparisons.append(
            DestinationComparison(destination, _totals(counters, STRICT), _totals(counters, SEND_ALL))
        )
    return comparisons
