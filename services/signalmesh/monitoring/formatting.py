"""How figures read to a person, shared by alert texts, the stats table and reconciliation, so
the same number looks the same in Slack, the terminal and the report."""

from __future__ import annotations

import math

from signalmesh.monitoring.findings import COUNT, DAYS, RATIO, SCORE, SECONDS
from signalmesh.monitoring.history import DAY, HOUR


def duration(seconds: float | None) -> str:
    """``90`` → ``"1.5 min"``, ``7200`` → ``"2 h"``; an unbounded latency is ``"> 7 d"``."""
    if seconds is None:
        return "—"
    if math.isinf(seconds):
        return "> 7 d"
    if seconds < 60:
        return f"{_trim(seconds)} s"
    if seconds < HOUR:
        return f"{_trim(seconds / 60)} min"
    if seconds < DAY:
        return f"{_trim(seconds / HOUR)} h"
    return f"{_trim(seconds / DAY)} d"


def percent(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{_trim(ratio * 100)} %"


def count(value: float) -> str:
    return _trim(value)


def figure_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == RATIO:
        return percent(value)
    if unit == SECONDS:
        return duration(value)
    if unit == DAYS:
        return f"{_trim(value)} d"
    if unit == SCORE:
        return f"{value:.1f}"
    if unit == COUNT:
        return count(value)
    return _trim(value)


def _trim(value: float) -> str:
    """At most one decimal, none when whole: ``3.0`` → ``"3"``, ``2.25`` → ``"2.2"``."""
    if math.isinf(value) or math.isnan(value):
        return str(value)
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"
