"""Where notifications go: a structured log line, a metric and a signed webhook.

The webhook request is built by a pure function (``build_webhook_request``) and signed exactly
like the webhook connector's requests (``X-SignalMesh-Signature: sha256=<hex HMAC-SHA256 of the
raw body>``, plugins/webhook README "Verifying requests"), so a receiver that already verifies
conversions verifies alerts with the same code. The body carries every field as data and a
Slack-compatible ``text`` (Slack's and Mattermost's incoming webhooks read only ``text``).
``WebhookSink`` is the thin I/O edge, on aiohttp like the gateway's transport.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from signalmesh.monitoring import formatting
from signalmesh.monitoring.alert_lifecycle import FIRING, Notification
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.findings import COUNT, SECONDS

SIGNATURE_PREFIX = "sha256="


def signature(secret: str, body: bytes) -> str:
    """``sha256=<lower-case hex HMAC-SHA256 of body keyed with secret>``: the header's value,
    the same scheme as the webhook connector's."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_body(notification: Notification) -> dict[str, Any]:
    """The JSON object a webhook receives (README, "Monitoring" → "The webhook")."""
    details = notification.details
    return {
        "alert_key": notification.alert_key,
        "rule": notification.rule,
        "state": notification.state,
        "severity": notification.severity,
        "destination": notification.destination,
        "figure": details.get("figure"),
        "baseline": details.get("baseline"),
        "threshold": details.get("threshold"),
        "unit": details.get("unit", COUNT),
        "window": details.get("window", ""),
        "message": details.get("message", ""),
        "command": details.get("command", ""),
        "fired_at": _iso(notification.fired_at),
        "resolved_at": _iso(notification.resolved_at) if notification.resolved_at else None,
        "text": slack_text(notification),
    }


def slack_text(notification: Notification) -> str:
    """Readable on its own: what, where, the figure against its baseline and threshold, over
    which window, and the command to run next."""
    details = notification.details
    unit = str(details.get("unit", COUNT))
    subject = notification.destination or notification.alert_key.partition(":")[2]
    if notification.state == FIRING:
        head = f"*FIRING* ({notification.severity}) {notification.rule} · {subject}"
    else:
        head = (
            f"*RESOLVED* {notification.rule} · {subject} (fired {_iso(notification.fired_at)}, "
            f"resolved {_iso(notification.resolved_at)})"
        )
    figure = details.get("figure")
    numbers = (
        f"figure {_figure(figure, unit)} · baseline {formatting.figure_text(details.get('baseline'), unit)}"
        f" · threshold {formatting.figure_text(details.get('threshold'), unit)}"
        f" · window {details.get('window', '')}"
    )
    lines = [head, str(details.get("message", "")), numbers]
    if command := details.get("command"):
        lines.append(f"investigate: `{command}`")
    return "\n".join(lines)


def build_webhook_request(
    notification: Notification, settings: AlertSettings
) -> tuple[dict[str, str], bytes]:
    """Headers and the exact body bytes to POST to ``settings.webhook_url``. The body is
    canonical JSON (sorted keys, no spaces), so the same notification gives the same bytes and
    the same signature. Without a secret the request goes unsigned."""
    body = json.dumps(webhook_body(notification), sort_keys=True, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if settings.webhook_secret:
        headers[settings.webhook_signature_header] = signature(settings.webhook_secret, body)
    return headers, body


def log_fields(notification: Notification) -> tuple[str, dict[str, Any]]:
    """The structured log line: its event name (``alert_firing`` / ``alert_resolved``) and
    fields. ``alert=True`` is what the dispatcher's own alert lines carry, so one filter finds
    every alert."""
    body = webhook_body(notification)
    body.pop("text")
    return f"alert_{notification.state}", {**body, "alert": True}


def metric_attributes(notification: Notification) -> dict[str, str]:
    """Attributes for the notification counter: low cardinality (no figures, no keys)."""
    return {
        "rule": notification.rule,
        "severity": notification.severity,
        "state": notification.state,
        "destination": notification.destination,
    }


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    delivered: bool
    status: int | None = None  # None when no HTTP answer came
    error: str = ""


class WebhookSink:
    """POSTs notifications to ``settings.webhook_url``; a 2xx is delivered, anything else is
    retried by the lifecycle on the next evaluation (the record stays un-acknowledged)."""

    def __init__(self, settings: AlertSettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def send(self, notification: Notification) -> WebhookAnswer:
        if not self._settings.webhook_url:
            return WebhookAnswer(False, error="no webhook_url configured")
        headers, body = build_webhook_request(notification, self._settings)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._settings.webhook_timeout)
            )
        try:
            async with self._session.post(self._settings.webhook_url, data=body, headers=headers) as answer:
                await answer.read()
                return WebhookAnswer(200 <= answer.status < 300, answer.status)
        except TimeoutError:
            return WebhookAnswer(False, error="timeout")
        except aiohttp.ClientError as error:
            return WebhookAnswer(False, error=type(error).__name__)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _figure(figure: object, unit: str) -> str:
    # JSON null stands for an unbounded latency (past the histogram's last bucket).
    if figure is None and unit == SECONDS:
        return formatting.duration(math.inf)
    return formatting.figure_text(figure if isinstance(figure, int | float) else None, unit)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
