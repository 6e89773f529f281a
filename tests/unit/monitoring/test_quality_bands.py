"""The practice's match-quality lines read the same in check, stats and the report."""

from __future__ import annotations

import pytest
from signalmesh.monitoring.quality_bands import TARGET_BAND, WARN_BELOW, against_target, band, target_text


def test_the_lines_are_the_practices() -> None:
    assert (WARN_BELOW, TARGET_BAND, target_text()) == (6.0, (7.5, 9.0), "target 7.5–9")


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (5.99, "low"),
        (6.0, "under target"),
        (7.49, "under target"),
        (7.5, "on target"),
        (9.0, "on target"),
        (9.01, "above target"),
    ],
)
def test_band_on_both_sides_of_each_line(score: float, expected: str) -> None:
    assert band(score) == expected


def test_a_moved_warning_line_moves_only_low() -> None:
    assert band(6.5, warn_below=7.0) == "low" and band(5.0, warn_below=4.0) == "under target"


def test_against_target_as_check_prints_it() -> None:
    assert [against_target(score) for score in (4.1, 8.0, 9.5)] == [
        "below the 7.5–9 target",
        "on the 7.5–9 target",
        "above the 7.5–9 target",
    ]
