"""What the monitoring subcommands share: time options (``--since 7d`` or a date) and the
Monitoring service's answers turned back into the history's own types."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from signalmesh.config import ConfigError, parse_duration
from signalmesh.monitoring.history import BucketKey, HistoryRow
from signalmesh.store.base import AlertRecord
from signalmesh.v1 import monitoring_pb2


def point_in_time(text: str, now: float, option: str) -> float:
    """``7d`` / ``36h`` (that long before ``now``), ``2026-11-30`` (UTC midnight) or an ISO 8601
    time, as epoch seconds."""
    try:
        return now - parse_duration(text, option)
    except ConfigError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option}: {text!r} is neither a duration (7d, 36h) nor a date (2026-11-30) or ISO 8601 time"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def rows_of(response: monitoring_pb2.GetStatsResponse) -> list[HistoryRow]:
    return [
        HistoryRow(
            BucketKey(bucket.start.seconds, bucket.destination, bucket.event_name, bucket.mode),
            dict(bucket.counters),
        )
        for bucket in response.buckets
    ]


def alert_records(alerts: Iterable[monitoring_pb2.Alert]) -> list[AlertRecord]:
    return [
        AlertRecord(
            alert_key=alert.alert_key,
            rule=alert.rule,
            severity=alert.severity,
            state=alert.state,
            destination=alert.destination,
            fired_at=alert.fired_at.seconds + alert.fired_at.nanos / 1e9,
            resolved_at=alert.resolved_at.seconds + alert.resolved_at.nanos / 1e9,
            details=alert.details_json or "{}",
        )
        for alert in alerts
    ]


def details_of(record: AlertRecord) -> dict[str, Any]:
    try:
        details = json.loads(record.details)
    except json.JSONDecodeError:
        return {}
    return details if isinstance(details, dict) else {}
