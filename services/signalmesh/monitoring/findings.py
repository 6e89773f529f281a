"""What an alert rule found: one ``Finding`` per (rule, subject) that is beyond its threshold now.

Rules return findings; ``alert_lifecycle.advance`` turns them into stored alert records and
notifications. A finding carries everything a person needs to act without opening a dashboard:
the destination, the figure, the baseline it was compared to, the threshold, the window and
the command to investigate with.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

WARNING = "warning"
CRITICAL = "critical"

# Rule names: the first part of every alert key, and the vocabulary of `signalmesh alerts`.
VOLUME_DROP = "volume_drop"
VOLUME_SPIKE = "volume_spike"
MATCH_QUALITY = "match_quality"
REFUSALS = "refusals"
LATENCY = "latency"
DISCREPANCY = "discrepancy"
TOKEN_AGE = "token_age"
CREDENTIALS = "credentials"
CIRCUIT_OPEN = "circuit_open"

# How ``figure``, ``baseline`` and ``threshold`` read (see formatting.figure_text).
COUNT = "count"
RATIO = "ratio"
SECONDS = "seconds"
DAYS = "days"
SCORE = "score"


def alert_key(rule: str, subject: str) -> str:
    """Stable per (rule, subject): ``"volume_drop:meta-main"``. The subject is the destination
    for per-destination rules and ``"<pair>/<event name>"`` for discrepancies."""
    return f"{rule}:{subject}"


@dataclass(frozen=True, slots=True)
class Finding:
    alert_key: str
    rule: str
    severity: str  # WARNING | CRITICAL
    destination: str  # "" when the finding is not about one destination (discrepancies)
    figure: float
    baseline: float | None  # None when the rule compares to a fixed threshold only
    threshold: float
    window: str  # in words: "last full hour (13:00–14:00 UTC)"
    message: str  # one sentence a person reads first
    command: str  # what to run to investigate
    unit: str = COUNT

    def details(self) -> dict[str, Any]:
        """The JSON object kept in ``AlertRecord.details`` and sent in notifications."""
        return {
            "figure": json_number(self.figure),
            "baseline": None if self.baseline is None else json_number(self.baseline),
            "threshold": json_number(self.threshold),
            "unit": self.unit,
            "window": self.window,
            "message": self.message,
            "command": self.command,
        }

    def details_json(self) -> str:
        return json.dumps(self.details(), sort_keys=True, separators=(",", ":"))


def destination_finding(
    rule: str,
    destination: str,
    figure: float,
    threshold: float,
    *,
    window: str,
    message: str,
    command: str,
    unit: str,
    severity: str = WARNING,
    baseline: float | None = None,
) -> Finding:
    """A finding about one destination, keyed by (rule, destination): every per-destination
    rule builds its finding here, so the key and the defaults (a warning, no baseline) are
    spelt once."""
    return Finding(
        alert_key=alert_key(rule, destination),
        rule=rule,
        severity=severity,
        destination=destination,
        figure=figure,
        baseline=baseline,
        threshold=threshold,
        window=window,
        message=message,
        command=command,
        unit=unit,
    )


def json_number(value: float) -> float | None:
    """JSON has no infinity: an unbounded figure (a latency past the last bucket) is null."""
    return value if math.isfinite(value) else None
