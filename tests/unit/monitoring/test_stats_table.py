"""`signalmesh stats` renders history rows summed per destination × event name (× mode), as a
table and as JSON."""

from __future__ import annotations

import json

from rich.console import Console
from signalmesh.monitoring.history import (
    DECIDED_SEND,
    DELIVERED,
    DELIVERED_NO_CLICK_ID,
    HOUR,
    MATCH_QUALITY_COUNT,
    MATCH_QUALITY_SUM,
    RECEIVED,
    STALE,
    TEST,
    BucketKey,
    HistoryRow,
    latency_counter,
)
from signalmesh.monitoring.stats_table import render_stats_table, stats_lines, stats_to_json

T0 = 1_773_057_600  # 2026-03-09T12:00:00Z


def row(hour: int, destination: str, event_name: str, counters: dict[str, float], mode: str = "live"):
    return HistoryRow(BucketKey(T0 + hour * HOUR, destination, event_name, mode), counters)


ROWS = [
    row(
        0,
        "meta",
        "Purchase",
        {
            RECEIVED: 10,
            "rejected.value.decimal": 1,
            DECIDED_SEND: 8,
            "skipped.duplicate": 1,
            DELIVERED: 6,
            DELIVERED_NO_CLICK_ID: 3,
            "refused.invalid_parameter": 1,
            "retried.5xx": 2,
            "dead_lettered.expired": 1,
            MATCH_QUALITY_SUM: 42,
            MATCH_QUALITY_COUNT: 6,
            latency_counter(0.5): 3,
            latency_counter(10): 2,
            latency_counter(2 * HOUR): 1,
            "value.EUR": 59.97,
            STALE: 2,
        },
    ),
    row(
        1,
        "meta",
        "Purchase",
        {RECEIVED: 5, DECIDED_SEND: 5, DELIVERED: 4, latency_counter(0.5): 4, "value.EUR": 20},
    ),
    row(0, "meta", "Purchase", {RECEIVED: 2}, mode=TEST),
    row(0, "google", "Lead", {RECEIVED: 1, "skipped.consent": 1}),
]


def test_rows_are_summed_per_destination_event_name_and_mode():
    lines = stats_lines(ROWS)
    assert [(line.destination, line.event_name, line.mode) for line in lines] == [
        ("google", "Lead", "live"),
        ("meta", "Purchase", "live"),
        ("meta", "Purchase", "test"),
    ]
    meta = lines[1]
    assert (meta.get(RECEIVED), meta.get(DELIVERED), meta.match_quality) == (15, 10, 7.0)
    assert meta.latency(0.5) == 1 and meta.latency(0.95) == 4 * HOUR


def test_stats_json_has_every_counter_family_with_its_reasons():
    document = json.loads(json.dumps(stats_to_json(ROWS, T0, T0 + 2 * HOUR)))
    assert (document["since"], document["until"]) == ("2026-03-09T12:00:00Z", "2026-03-09T14:00:00Z")
    meta = document["lines"][1]
    assert meta["received"] == 15 and meta["sent"] == 13 and meta["delivered"] == 10
    assert meta["rejected"] == {"total": 1, "by_reason": {"value.decimal": 1}}
    assert meta["skipped"] == {"total": 1, "by_reason": {"duplicate": 1}}
    assert meta["refused"]["by_reason"] == {"invalid_parameter": 1}
    assert meta["retried"]["by_reason"] == {"5xx": 2} and meta["dead_lettered"]["total"] == 1
    assert meta["match_quality"] == {"mean": 7.0, "count": 6, "band": "under target"}
    assert meta["stale"] == 2
    assert meta["latency"]["p50"] == 1 and meta["latency"]["p95"] == 4 * HOUR
    assert list(meta["latency"]["buckets"]) == ["1", "15", "14400"]
    assert meta["value"] == {"EUR": "79.97"}
    assert meta["no_click_id"] == {"count": 3, "share": 0.3}
    assert document["lines"][0]["latency"] == {"p50": None, "p95": None, "unbounded": False, "buckets": {}}
    assert document["lines"][0]["match_quality"]["band"] is None


def test_the_table_shows_a_line_per_destination_and_event_and_a_total():
    console = Console(record=True, width=250)
    console.print(render_stats_table(ROWS, T0, T0 + 2 * HOUR))
    text = console.export_text()
    for part in (
        "Purchase (test)",
        "1 (value.decimal 1)",
        "1 (duplicate 1)",
        "match quality (target 7.5–9)",
        "7.0 (under target)",
        "4 h",
        "EUR 79.97",
        "3 (30 %)",
        "all",
    ):
        assert part in text, part
    lines = [line for line in text.splitlines() if "│ all" in line or line.startswith("│ all")]
    assert lines and " 18 " in lines[0], "the total adds every line's received"


def test_the_match_quality_band_marks_both_sides_of_the_practices_lines():
    def shown(mean: float) -> str:
        document = stats_to_json(
            [row(0, "meta", "Purchase", {MATCH_QUALITY_SUM: mean, MATCH_QUALITY_COUNT: 1})], T0, T0
        )
        return document["lines"][0]["match_quality"]["band"]

    assert [shown(mean) for mean in (5.99, 6.0, 7.49, 7.5, 9.0, 9.01)] == [
        "low",
        "under target",
        "under target",
        "on target",
        "on target",
        "above target",
    ]
