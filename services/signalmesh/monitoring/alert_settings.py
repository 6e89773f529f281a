"""The ``[alerts]`` thresholds as one typed value, with the practice's defaults (issue 9's table).

Rules read nothing else: a test or the config loader builds an ``AlertSettings`` and passes it
in, so a threshold is changed in one place and every rule, message and report agrees on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from signalmesh.monitoring.history import DAY, HOUR


@dataclass(frozen=True, slots=True)
class AlertSettings:
    # Volume: the last full hour's delivered count vs the trailing average for that hour of day.
    drop_ratio: float = 0.5
    spike_ratio: float = 5.0
    # Below this baseline (events per hour) volume rules stay silent: small numbers are noise.
    min_baseline: float = 20
    baseline_days: int = 7
    # Mean estimated match quality (0–10) over the window; the report shows the 7.5–9 target band.
    match_quality_warn: float = 6.0
    match_quality_window: float = 24 * HOUR
    # Fewer scored events than this in the window say little about a destination's quality.
    match_quality_min_events: int = 20
    # refused / attempted over the window, only once there are enough attempts to mean anything.
    refusal_ratio: float = 0.05
    refusal_min_attempts: int = 20
    refusal_window: float = HOUR
    # p95 delivery latency (event_time → the platform's acceptance) over the window, in seconds.
    latency_quantile: float = 0.95
    latency_warn: float = HOUR
    latency_critical: float = DAY
    latency_window: float = HOUR
    # A credential's age from ``rotated_at`` (or the day the mesh first saw its fingerprint).
    token_age_warn_days: float = 80
    token_age_days: float = 90
    # Sinks: the log line and the metric always; the signed webhook when a URL is set.
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_signature_header: str = "X-SignalMesh-Signature"
    webhook_timeout: float = 10.0
    # The evaluator's period, and how long resolved alerts stay listed (`signalmesh alerts`).
    evaluate_every: float = 60.0
    resolved_keep_days: float = 7

    @property
    def resolved_keep_seconds(self) -> float:
        return self.resolved_keep_days * DAY
