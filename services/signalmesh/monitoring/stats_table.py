"""History rows as `signalmesh stats` shows them: one line per destination × event name (× mode),
summed over the requested range, as a rich table or a JSON object. Pure: the CLI reads the rows
through GetStats and prints what these return."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from signalmesh.monitoring import formatting
from signalmesh.monitoring.history import (
    DEAD_LETTERED,
    DECIDED_SEND,
    DELIVERED,
    DELIVERED_NO_CLICK_ID,
    LATENCY,
    LIVE,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    RECEIVED,
    REFUSED,
    REJECTED,
    RETRIED,
    SKIPPED,
    STALE,
    VALUE,
    HistoryRow,
    counter_family,
    latency_bound,
    latency_quantile,
    sum_rows,
)
from signalmesh.monitoring.quality_bands import band, target_text


@dataclass(frozen=True, slots=True)
class StatsLine:
    destination: str
    event_name: str
    mode: str
    counters: Mapping[str, float]

    def get(self, counter: str) -> float:
        return self.counters.get(counter, 0.0)

    def family(self, prefix: str) -> dict[str, float]:
        """The family's non-zero counters, by suffix in sorted order (a table's columns)."""
        return {
            suffix: amount
            for suffix, amount in sorted(counter_family(self.counters, prefix).items())
            if amount
        }

    @property
    def match_quality(self) -> float | None:
        scored = self.get(MATCH_QUALITY_COUNT)
        return self.get(MATCH_QUALITY_SUM) / scored if scored else None

    def latency(self, quantile: float) -> float | None:
        return latency_quantile(self.counters, quantile)


def stats_lines(rows: Sequence[HistoryRow]) -> list[StatsLine]:
    """Rows summed per (destination, event name, mode), sorted; live before test."""
    grouped: dict[tuple[str, str, str], list[HistoryRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.key.destination, row.key.event_name, row.key.mode)].append(row)
    keys = sorted(grouped, key=lambda key: (key[0], key[1], key[2] != LIVE, key[2]))
    return [StatsLine(*key, sum_rows(grouped[key])) for key in keys]


def stats_to_json(rows: Sequence[HistoryRow], since: float, until: float) -> dict[str, Any]:
    """``{"since", "until", "lines": [...]}``; latencies are bucket bounds in seconds (null
    without deliveries, or past the last bucket: see ``latency.unbounded``)."""
    return {
        "since": _iso(since),
        "until": _iso(until),
        "lines": [_line_json(line) for line in stats_lines(rows)],
    }


def render_stats_table(rows: Sequence[HistoryRow], since: float, until: float) -> Table:
    lines = stats_lines(rows)
    table = Table(title=f"statistics {_iso(since)} to {_iso(until)}")
    for column in _COLUMNS:
        # Names are what a reader looks up: never cut; the counts' reasons wrap instead.
        table.add_column(
            column,
            justify="left" if column in ("destination", "event", "value") else "right",
            no_wrap=column in ("destination", "event"),
        )
    for line in lines:
        table.add_row(*_cells(line))
    if len(lines) > 1:
        table.add_row(*_cells(_total(lines)), style="bold")
    return table


# The mean score with its band: "4.1 (low)" under the practice's 6.0 line, "8.2 (on target)".
MATCH_QUALITY_COLUMN = f"match quality ({target_text()})"
_COLUMNS = (
    "destination",
    "event",
    "received",
    "rejected",
    "sent",
    "skipped",
    "delivered",
    "refused",
    "retried",
    "dead-lettered",
    MATCH_QUALITY_COLUMN,
    "p50",
    "p95",
    "value",
    "no click id",
    "stale",
)


def _cells(line: StatsLine) -> list[str]:
    event = line.event_name if line.mode == LIVE else f"{line.event_name} ({line.mode})"
    delivered = line.get(DELIVERED)
    no_click_id = line.get(DELIVERED_NO_CLICK_ID)
    return [
        line.destination or "—",
        event,
        formatting.count(line.get(RECEIVED)),
        _family_cell(line, REJECTED),
        formatting.count(line.get(DECIDED_SEND)),
        _family_cell(line, SKIPPED),
        formatting.count(delivered),
        _family_cell(line, REFUSED),
        _family_cell(line, RETRIED),
        _family_cell(line, DEAD_LETTERED),
        "—" if line.match_quality is None else f"{line.match_quality:.1f} ({band(line.match_quality)})",
        _at_most(line.latency(0.5)),
        _at_most(line.latency(0.95)),
        "\n".join(f"{currency} {amount:.2f}" for currency, amount in line.family(VALUE).items()),
        f"{formatting.count(no_click_id)} ({formatting.percent(no_click_id / delivered)})"
        if delivered
        else formatting.count(no_click_id),
        formatting.count(line.get(STALE)),
    ]


def _at_most(bound: float | None) -> str:
    """A latency quantile is known to its histogram bucket: "≤ 5 min", not "5 min"."""
    shown = formatting.duration(bound)
    return shown if bound is None or math.isinf(bound) else f"≤ {shown}"


def _family_cell(line: StatsLine, prefix: str) -> str:
    """The total, then the biggest reasons: ``"12 (duplicate 9, consent 3)"``."""
    members = line.family(prefix)
    total = sum(members.values())
    if not total:
        return "0"
    top = sorted(members.items(), key=lambda item: (-item[1], item[0]))[:3]
    return f"{formatting.count(total)} ({', '.join(f'{name} {formatting.count(n)}' for name, n in top)})"


def _line_json(line: StatsLine) -> dict[str, Any]:
    delivered = line.get(DELIVERED)
    p50, p95 = line.latency(0.5), line.latency(0.95)
    return {
        "destination": line.destination,
        "event_name": line.event_name,
        "mode": line.mode,
        "received": line.get(RECEIVED),
        "rejected": _family_json(line, REJECTED),
        "sent": line.get(DECIDED_SEND),
        "skipped": _family_json(line, SKIPPED),
        "delivered": delivered,
        "refused": _family_json(line, REFUSED),
        "retried": _family_json(line, RETRIED),
        "dead_lettered": _family_json(line, DEAD_LETTERED),
        "match_quality": {
            "mean": line.match_quality,
            "count": line.get(MATCH_QUALITY_COUNT),
            # low (< 6, the practice's line) · under target (< 7.5) · on target · above target (> 9)
            "band": None if line.match_quality is None else band(line.match_quality),
        },
        "latency": {
            "p50": _finite(p50),
            "p95": _finite(p95),
            "unbounded": p95 is not None and math.isinf(p95),
            # Upper bound in seconds ("inf" for the last) → deliveries in that bucket.
            "buckets": dict(
                sorted(line.family(LATENCY).items(), key=lambda item: latency_bound(LATENCY + item[0]))
            ),
        },
        "value": {currency: f"{amount:.2f}" for currency, amount in line.family(VALUE).items()},
        "no_click_id": {
            "count": line.get(DELIVERED_NO_CLICK_ID),
            "share": line.get(DELIVERED_NO_CLICK_ID) / delivered if delivered else None,
        },
        # Accepted more than [quality] stale_after after their event_time.
        "stale": line.get(STALE),
    }


def _family_json(line: StatsLine, prefix: str) -> dict[str, Any]:
    members = line.family(prefix)
    return {"total": sum(members.values()), "by_reason": members}


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value


def _total(lines: Sequence[StatsLine]) -> StatsLine:
    counters: dict[str, float] = defaultdict(float)
    for line in lines:
        for name, amount in line.counters.items():
            counters[name] += amount
    return StatsLine("all", "", LIVE, dict(counters))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
