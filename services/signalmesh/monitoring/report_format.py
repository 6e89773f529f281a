"""How the report writes numbers, durations, days and reasons, the same in the terminal and in
the page, so a figure read in one can be found in the other."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from signalmesh.monitoring.history import DAY, HOUR, LATENCY_BUCKETS

_LAST_FINITE_BUCKET = max(bound for bound in LATENCY_BUCKETS if math.isfinite(bound))


def count(value: float) -> str:
    """1234 → "1,234"; whole numbers without decimals."""
    return f"{round(value):,}"


def compact(value: float) -> str:
    """Short counts for chart labels: 950, 1.2k, 34k, 1.5M."""
    if abs(value) < 1000:
        return f"{round(value)}"
    if abs(value) < 10_000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    if abs(value) < 1_000_000:
        return f"{round(value / 1000)}k"
    return f"{value / 1_000_000:.1f}M".replace(".0M", "M")


def percent(ratio: float | None, digits: int = 1) -> str:
    return "–" if ratio is None else f"{ratio * 100:.{digits}f} %"


def signed_percent(ratio: float | None) -> str:
    """A change: +4 %, −67 % (a real minus sign, as a reader expects)."""
    if ratio is None:
        return "–"
    rounded = round(ratio * 100)
    return f"+{rounded} %" if rounded > 0 else f"−{abs(rounded)} %" if rounded < 0 else "±0 %"


def quality(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def duration(seconds: float | None) -> str:
    """A latency bucket's bound: "≤ 5 s" reads as "5 s"; past the last bucket, "> 7 d"."""
    if seconds is None:
        return "–"
    if math.isinf(seconds):
        return f"> {duration(_LAST_FINITE_BUCKET)}"
    for unit, size in (("d", DAY), ("h", HOUR), ("min", 60)):
        if seconds >= size:
            amount = seconds / size
            return f"{amount:.0f} {unit}" if amount == round(amount) else f"{amount:.1f} {unit}"
    return f"{seconds:.0f} s"


def day_label(day: int) -> str:
    """Short day for an axis: "Sat 31"."""
    moment = datetime.fromtimestamp(day, UTC)
    return f"{moment:%a} {moment.day}"


def date(day: float) -> str:
    """ "31 Oct 2026"."""
    moment = datetime.fromtimestamp(day, UTC)
    return f"{moment.day} {moment:%b %Y}"


def iso_day(text: str) -> str:
    """ "2026-10-28" → "28 Oct"; anything else as it came (a document's own wording)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{parsed.day} {parsed:%b}"


def moment(epoch_seconds: float) -> str:
    """ "31 Oct 15:30 UTC"."""
    value = datetime.fromtimestamp(epoch_seconds, UTC)
    return f"{value.day} {value:%b %H:%M} UTC"


def reason(name: str) -> str:
    """A counter suffix as words: "missing_click_id" → "missing click id"."""
    return name.replace("_", " ").replace(".", " · ") or "unspecified"
