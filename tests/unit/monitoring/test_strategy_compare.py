"""The strategy comparison from history rows: per destination, live events only."""

from __future__ import annotations

from signalmesh.monitoring.history import HOUR, BucketKey, HistoryRow
from signalmesh.monitoring.strategy_compare import StrategyTotals, compare_strategies


def row(start: int, destination: str, counters: dict[str, float], mode: str = "live") -> HistoryRow:
    return HistoryRow(BucketKey(start, destination, "Purchase", mode), counters)


def test_counts_and_values_add_up_over_hours_per_destination() -> None:
    rows = [
        row(
            0,
            "meta",
            {
                "would_send.strict": 2,
                "would_send_value.strict.EUR": 20.0,
                "would_send.send_all": 5,
                "would_send_value.send_all.EUR": 48.5,
            },
        ),
        row(
            HOUR,
            "meta",
            {
                "would_send.strict": 1,
                "would_send_value.strict.EUR": 10.0,
                "would_send.send_all": 1,
                "would_send_value.send_all.EUR": 10.0,
                "would_send_value.send_all.USD": 3.0,
            },
        ),
        row(0, "meta", {"would_send.send_all": 100}, mode="test"),
        row(0, "tiktok", {"would_send.send_all": 4}),
    ]
    meta, tiktok = compare_strategies(rows)
    assert meta.destination == "meta"
    assert meta.strict == StrategyTotals(3, {"EUR": 30.0})
    assert meta.send_all == StrategyTotals(6, {"EUR": 58.5, "USD": 3.0})
    assert meta.send_all_adds == 3
    assert (tiktok.strict.events, tiktok.send_all.events, tiktok.send_all_adds) == (0, 4, 4)


def test_a_destination_without_strategy_counters_is_left_out() -> None:
    assert compare_strategies([row(0, "meta", {"received": 5, "delivered": 5})]) == []
