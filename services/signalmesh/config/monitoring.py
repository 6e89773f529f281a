"""Loaders for the monitoring tables: ``[stats]`` (history retention), ``[alerts]`` (the rules'
thresholds and the webhook) and ``[telemetry]`` (the Prometheus endpoint, the trace viewer's links)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import StatsConfig, TelemetryConfig
from signalmesh.config.secrets import resolve_secret
from signalmesh.config.values import ConfigError, duration, reject_unknown, typed
from signalmesh.monitoring.alert_settings import AlertSettings

_STATS_KEYS = {"enabled", "hourly_retention", "daily_retention"}
_TELEMETRY_KEYS = {"prometheus_listen", "trace_url"}


def load_stats(data: Mapping[str, Any]) -> StatsConfig:
    stats = StatsConfig(
        enabled=typed(data, "enabled", bool, True, "stats"),
        hourly_retention_seconds=duration(data, "hourly_retention", "35d", "stats"),
        daily_retention_seconds=duration(data, "daily_retention", "400d", "stats"),
    )
    reject_unknown(data, _STATS_KEYS, "stats")
    if stats.daily_retention_seconds < stats.hourly_retention_seconds:
        raise ConfigError(
            "stats.daily_retention: must be at least stats.hourly_retention "
            "(the daily roll-ups are made from the hourly buckets)"
        )
    return stats


def load_telemetry(data: Mapping[str, Any]) -> TelemetryConfig:
    listen = typed(data, "prometheus_listen", str, "", "telemetry")
    if listen and ":" not in listen:
        raise ConfigError(f'telemetry.prometheus_listen: {listen!r} is not host:port (e.g. "0.0.0.0:9464")')
    trace_url = typed(data, "trace_url", str, "", "telemetry")
    if trace_url and (not trace_url.startswith(("http://", "https://")) or "{trace_id}" not in trace_url):
        raise ConfigError(
            f"telemetry.trace_url: {trace_url!r} must be an http(s) URL with {{trace_id}} where the id "
            'goes, e.g. "http://localhost:16686/trace/{trace_id}" for Jaeger'
        )
    reject_unknown(data, _TELEMETRY_KEYS, "telemetry")
    return TelemetryConfig(prometheus_listen=listen or None, trace_url=trace_url or None)


# [alerts] keys read as durations ("1h", "24h"); the others are numbers, or text for the webhook.
_ALERT_DURATIONS = {
    "match_quality_window",
    "refusal_window",
    "latency_warn",
    "latency_critical",
    "latency_window",
    "webhook_timeout",
    "evaluate_every",
}
_ALERT_TEXT = {"webhook_url", "webhook_secret", "webhook_signature_header"}
_RATIOS = {"drop_ratio", "spike_ratio", "refusal_ratio", "latency_quantile"}


def load_alerts(data: Mapping[str, Any], environ: Mapping[str, str]) -> AlertSettings:
    """``[alerts]``: every key is optional and named as ``AlertSettings``' field (the defaults are
    the practice's); ``webhook_secret`` may be an ``env:``/``file:`` reference."""
    defaults = AlertSettings()
    known = {item.name for item in dataclasses.fields(AlertSettings)}
    values: dict[str, Any] = {}
    for key in known & set(data):
        where = f"alerts.{key}"
        default = getattr(defaults, key)
        if key in _ALERT_DURATIONS:
            values[key] = duration(data, key, default, "alerts")
        elif key in _ALERT_TEXT:
            text = typed(data, key, str, default, "alerts")
            values[key] = resolve_secret(text, where, environ) if key == "webhook_secret" else text
        else:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{where}: must be a non-negative number, got {value!r}")
            values[key] = type(default)(value)
    reject_unknown(data, known, "alerts")
    settings = dataclasses.replace(defaults, **values)
    for key in _RATIOS & set(values):
        if key != "spike_ratio" and not 0 < values[key] <= 1:
            raise ConfigError(
                f"alerts.{key}: a share between 0 and 1 (e.g. 0.05 for 5 %), got {values[key]!r}"
            )
    if settings.webhook_url and not settings.webhook_url.startswith(("http://", "https://")):
        raise ConfigError(f"alerts.webhook_url: {settings.webhook_url!r} is not an http(s) URL")
    if settings.webhook_url and not settings.webhook_secret:
        raise ConfigError(
            "alerts.webhook_secret: required with webhook_url, so the receiver can check each "
            "notification's HMAC-SHA256 signature"
        )
    if settings.token_age_warn_days > settings.token_age_days:
        raise ConfigError("alerts.token_age_warn_days: must not exceed alerts.token_age_days")
    return settings


def rotated_at(value: Any, where: str) -> float:
    """A destination's ``rotated_at`` (a TOML date or date-time, or "YYYY-MM-DD") as epoch seconds."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{where}: {value!r} is not a date; write e.g. 2026-09-01") from None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    raise ConfigError(f"{where}: must be a date, e.g. rotated_at = 2026-09-01")
