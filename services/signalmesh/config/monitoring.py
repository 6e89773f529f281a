"""Loaders for the monitoring tables: ``[stats]`` (history retention) and ``[telemetry]``
(the Prometheus endpoint)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import StatsConfig, TelemetryConfig
from signalmesh.config.values import ConfigError, duration, reject_unknown, typed

_STATS_KEYS = {"enabled", "hourly_retention", "daily_retention"}
_TELEMETRY_KEYS = {"prometheus_listen"}


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
        raise ConfigError(f"telemetry.prometheus_listen: {listen!r} is not host:port (e.g. \"0.0.0.0:9464\")")
    reject_unknown(data, _TELEMETRY_KEYS, "telemetry")
    return TelemetryConfig(prometheus_listen=listen or None)
