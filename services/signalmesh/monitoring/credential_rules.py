"""Alert rules about a destination's credentials and breaker: pure functions of plain data the
gateway already has (when each credential was set, which destinations are paused or open)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from signalmesh.monitoring import formatting
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.findings import (
    CIRCUIT_OPEN,
    CREDENTIALS,
    CRITICAL,
    DAYS,
    SECONDS,
    TOKEN_AGE,
    WARNING,
    Finding,
    destination_finding,
)
from signalmesh.monitoring.history import DAY


@dataclass(frozen=True, slots=True)
class DestinationSignal:
    """A destination the dispatcher paused (the platform refused its credentials) or whose
    circuit is open, as the breaker reports it: ``kind`` is CREDENTIALS or CIRCUIT_OPEN."""

    destination: str
    kind: str
    reason: str
    since: float


def token_age_findings(
    credential_since: Mapping[str, float], now: float, settings: AlertSettings
) -> list[Finding]:
    """A credential older than ``token_age_days`` is critical, older than the warning age a
    warning: platforms expire long-lived tokens, and a rotation is cheaper planned."""
    findings: list[Finding] = []
    for destination in sorted(credential_since):
        since = credential_since[destination]
        age = (now - since) / DAY
        if age <= settings.token_age_warn_days:
            continue
        critical = age > settings.token_age_days
        threshold = settings.token_age_days if critical else settings.token_age_warn_days
        message = (
            f"{destination}: its credential is {int(age)} days old (set {_date(since)}), "
            f"over {formatting.count(threshold)} days; rotate it and set rotated_at"
        )
        findings.append(
            destination_finding(
                TOKEN_AGE, destination, age, threshold, severity=CRITICAL if critical else WARNING,
                window=f"since {_date(since)}", message=message, command="signalmesh alerts", unit=DAYS,
            )
        )
    return findings


def destination_signal_findings(signals: Sequence[DestinationSignal], now: float) -> list[Finding]:
    """Paused destinations (refused credentials) are critical: nothing reaches that platform
    until someone fixes the secret. An open circuit is a warning: it closes on its own."""
    findings: list[Finding] = []
    for signal in sorted(signals, key=lambda signal: (signal.kind, signal.destination)):
        credentials = signal.kind == CREDENTIALS
        rule = CREDENTIALS if credentials else CIRCUIT_OPEN
        state = "paused: the platform refused its credentials" if credentials else "circuit is open"
        findings.append(
            destination_finding(
                rule, signal.destination, max(now - signal.since, 0.0), 0.0,
                severity=CRITICAL if credentials else WARNING,
                window=f"since {_clock_date(signal.since)} UTC",
                message=f"{signal.destination}: {state} ({signal.reason})",
                command=f"signalmesh dlq list --destination {signal.destination}",
                unit=SECONDS,
            )
        )
    return findings


def _date(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def _clock_date(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))
