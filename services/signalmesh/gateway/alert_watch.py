"""The alert evaluator: every ``[alerts] evaluate_every`` (a minute), on the one replica holding
the ``alerts`` lease, read the history, run the rules, advance each alert's lifecycle and notify.

The rules and the lifecycle are pure (``signalmesh.monitoring.alert_rules`` and
``alert_lifecycle``); this class gathers their inputs (history, credential ages, paused or open
destinations, the latest reconciliation) and does the I/O: the store (lease, alerts), the sinks
(a log line, a metric, the signed webhook). A notification is acknowledged in the store only
once the webhook delivered it, so a receiver that is down hears about it on a later minute, and
a restarted gateway does not repeat what was already said.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from signalmesh.config.secrets import refresh_secrets
from signalmesh.connector import Destination
from signalmesh.gateway.breaker import BreakerState, CircuitBreaker
from signalmesh.gateway.periodic import Periodic
from signalmesh.monitoring import alert_lifecycle, alert_rules, alert_sinks
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.credential_rules import DestinationSignal
from signalmesh.monitoring.findings import CIRCUIT_OPEN, CREDENTIALS
from signalmesh.plugins import ConnectorRegistry
from signalmesh.store.base import Store
from signalmesh.telemetry.metrics import get_metrics

log = structlog.get_logger("signalmesh.alerts")
LEASE = "alerts"
RECONCILIATION = "reconciliation"


def credential_fingerprint(destination: Destination, secret_fields: Sequence[str]) -> str | None:
    """A short SHA-256 over the destination's secret settings: it changes when a secret is rotated,
    and says nothing about the secret itself. None when the destination has no secret."""
    secrets = [
        f"{name}={destination.settings[name]}" for name in secret_fields if destination.settings.get(name)
    ]
    if not secrets:
        return None
    return hashlib.sha256("\n".join([destination.name, *sorted(secrets)]).encode()).hexdigest()[:16]


def destination_signals(breakers: Mapping[str, CircuitBreaker]) -> list[DestinationSignal]:
    """Paused (refused credentials) and open-circuit destinations, as the breakers see them now."""
    return [
        DestinationSignal(
            destination=name,
            kind=CREDENTIALS if breaker.credentials else CIRCUIT_OPEN,
            reason=breaker.reason,
            since=breaker.opened_at,
        )
        for name, breaker in sorted(breakers.items())
        if breaker.state is not BreakerState.CLOSED
    ]


class AlertWatch:
    def __init__(
        self,
        *,
        store: Store,
        settings: AlertSettings,
        destinations: Mapping[str, Destination],
        registry: ConnectorRegistry,
        breakers: Mapping[str, CircuitBreaker],
        rotated_at: Mapping[str, float],
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
        webhook: alert_sinks.WebhookSink | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._destinations = destinations
        self._registry = registry
        self._breakers = breakers
        self._rotated_at = rotated_at
        self.holder = holder or f"gateway-{uuid.uuid4().hex[:12]}"
        self._clock = clock
        self._webhook = (
            webhook
            if webhook is not None
            else (alert_sinks.WebhookSink(settings) if settings.webhook_url else None)
        )
        self._periodic = Periodic()
        self._firing: dict[tuple[str, str, str], int] = {}
        self._unregister = get_metrics().observe_firing_alerts(self.firing)

    def firing(self) -> Mapping[tuple[str, str, str], int]:
        """(rule, destination, severity) → 1 for each alert firing at the last evaluation."""
        return dict(self._firing)

    async def evaluate_once(self) -> list[alert_lifecycle.Notification] | None:
        """One evaluation; the notifications it delivered, or None when another replica holds the
        lease (it evaluates instead)."""
        now = self._clock()
        lease_seconds = max(2 * self._settings.evaluate_every, 10.0)
        if not await self._store.acquire_lease(LEASE, self.holder, lease_seconds, now):
            return None
        since, until = alert_rules.evaluation_range(now, self._settings)
        rows = await self._store.read_history(since, until)
        findings = alert_rules.evaluate(
            rows,
            now,
            self._settings,
            credential_since=await self._credential_since(now),
            signals=destination_signals(self._breakers),
            reconciliation=await self._latest_reconciliation(),
        )
        step = alert_lifecycle.advance(await self._store.alerts(), findings, now, self._settings)
        if step.save:
            await self._store.save_alerts(step.save)
        if step.forget:
            await self._store.forget_alerts(step.forget)
        delivered = [item for item in step.notifications if await self._notify(item)]
        if delivered:
            await self._store.save_alerts(alert_lifecycle.acknowledge(step.current, delivered))
        self._firing = {
            (record.rule, record.destination, record.severity): 1
            for record in step.current
            if record.state == alert_lifecycle.FIRING
        }
        return delivered

    async def _notify(self, notification: alert_lifecycle.Notification) -> bool:
        """Log and count every notification; it is delivered once the webhook (if any) took it."""
        event, fields = alert_sinks.log_fields(notification)
        if notification.state == alert_lifecycle.FIRING and notification.severity == "critical":
            log.error(event, **fields)
        else:
            log.warning(event, **fields)
        if self._webhook is None:
            get_metrics().alert_notifications.add(1, alert_sinks.metric_attributes(notification))
            return True
        answer = await self._webhook.send(notification)
        if not answer.delivered:
            log.warning(
                "alert_webhook_failed",
                alert_key=notification.alert_key,
                status=answer.status,
                error=answer.error,
                retry="next evaluation",
            )
            return False
        get_metrics().alert_notifications.add(1, alert_sinks.metric_attributes(notification))
        return True

    async def _credential_since(self, now: float) -> dict[str, float]:
        """Destination → when its credential was set: ``rotated_at``, or the first time the mesh
        saw this secret's fingerprint (a rotation changes the fingerprint, so the age restarts)."""
        since: dict[str, float] = {}
        for name, destination in self._destinations.items():
            if name in self._rotated_at:
                since[name] = self._rotated_at[name]
                continue
            schema = self._registry.get(destination.connector).config_schema
            # Read file:/env: secrets again: a rotated one has a new fingerprint, so its age restarts.
            current = refresh_secrets(destination)
            fingerprint = credential_fingerprint(current, [item.name for item in schema if item.secret])
            if fingerprint is not None:
                since[name] = await self._store.first_seen(f"credential:{name}:{fingerprint}", now)
        return since

    async def _latest_reconciliation(self) -> dict[str, Any] | None:
        latest = await self._store.get_document(RECONCILIATION)
        if latest is None:
            return None
        try:
            document = json.loads(latest[0])
        except ValueError:
            return None
        return document if isinstance(document, dict) else None

    def start(self) -> None:
        self._periodic.every(self._settings.evaluate_every, self.evaluate_once, "alert-watch")

    async def stop(self) -> None:
        self._unregister()
        await self._periodic.stop()
        if self._webhook is not None:
            await self._webhook.close()
