"""The practice's match-quality lines, shared by the accept step's warning, `signalmesh check`,
`signalmesh status`, `signalmesh stats` and the report, so a score reads the same everywhere. Pure.

The benchmark (Meta's Event Match Quality scale, 0–10): a healthy feed with hashed email,
phone and click ids lands in the 7.5–9 target band; below 6.0 is a warning
(``[quality] warn_below`` moves that line; the band is the practice's, not a setting).
"""

from __future__ import annotations

WARN_BELOW = 6.0
TARGET_BAND = (7.5, 9.0)

LOW = "low"
UNDER_TARGET = "under target"
ON_TARGET = "on target"
ABOVE_TARGET = "above target"


def band(score: float, warn_below: float = WARN_BELOW) -> str:
    """Where ``score`` sits: ``low`` (< warn_below), ``under target`` (< 7.5), ``on target``
    (7.5–9) or ``above target`` (> 9)."""
    low, high = TARGET_BAND
    if score < warn_below:
        return LOW
    if score < low:
        return UNDER_TARGET
    if score <= high:
        return ON_TARGET
    return ABOVE_TARGET


def target_text() -> str:
    """``"target 7.5–9"``."""
    low, high = TARGET_BAND
    return f"target {low:g}–{high:g}"


def against_target(score: float) -> str:
    """``"below the 7.5–9 target"``, ``"on the 7.5–9 target"`` or ``"above the 7.5–9 target"``."""
    low, high = TARGET_BAND
    where = "below" if score < low else "on" if score <= high else "above"
    return f"{where} the {low:g}–{high:g} target"


def status_text(score: float) -> str:
    """One status's score in its band, ``"6.6 — below the 7.5–9 target"``; ``"unknown"`` for 0,
    what a status kept before the score was recorded reads."""
    if score <= 0:
        return "unknown"
    return f"{score:.1f} — {against_target(score)}"
