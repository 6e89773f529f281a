"""`signalmesh status` places each destination's match-quality score in the practice's bands,
so a score reads there as it does in `check` and `stats`."""

from __future__ import annotations

from signalmesh.cli.commands.status import STATUS_COLUMNS, status_row
from signalmesh.monitoring.quality_bands import status_text
from signalmesh.v1 import gateway_pb2, policy_pb2


def quality_cell(score: float) -> str:
    item = gateway_pb2.DestinationStatus(
        destination="meta",
        event_name="Purchase",
        decision=policy_pb2.DECISION_SEND,
        state=gateway_pb2.DELIVERY_STATE_DELIVERED,
        match_quality=score,
    )
    row = status_row(item)
    assert len(row) == len(STATUS_COLUMNS)
    return row[STATUS_COLUMNS.index("match quality")]


def test_a_score_under_the_band_says_so_with_the_band():
    assert quality_cell(6.6) == "6.6 — below the 7.5–9 target"


def test_both_edges_of_the_band_are_on_target_and_above_it_is_above():
    assert quality_cell(7.5) == "7.5 — on the 7.5–9 target"
    assert quality_cell(9.0) == "9.0 — on the 7.5–9 target"
    assert quality_cell(9.4) == "9.4 — above the 7.5–9 target"


def test_a_status_kept_without_a_score_reads_unknown_not_zero():
    assert quality_cell(0.0) == "unknown"
    assert status_text(0.0) == "unknown"
