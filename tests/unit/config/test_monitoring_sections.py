"""``[stats]``, ``[alerts]`` and ``[telemetry]``: the practice's defaults, durations in any unit,
and errors that name the key."""

from __future__ import annotations

import datetime as dt

import pytest
from signalmesh.config import Config, ConfigError, config_from_mapping
from signalmesh.monitoring.alert_settings import AlertSettings


def load(data: dict, environ: dict | None = None) -> Config:
    return config_from_mapping(data, environ=environ or {}, source=None)


def test_defaults_are_the_practices() -> None:
    config = load({})
    assert config.stats.enabled
    assert config.stats.hourly_retention_seconds == 35 * 86400
    assert config.stats.daily_retention_seconds == 400 * 86400
    assert config.alerts == AlertSettings()
    assert (config.alerts.drop_ratio, config.alerts.spike_ratio, config.alerts.min_baseline) == (0.5, 5.0, 20)
    assert config.alerts.match_quality_warn == 6.0
    assert (config.alerts.latency_warn, config.alerts.latency_critical) == (3600, 86400)
    assert config.telemetry.prometheus_listen is None
    assert config.telemetry.trace_url is None and config.telemetry.trace_link("ab" * 16) is None


def test_alert_thresholds_and_the_webhook_secret_from_the_environment() -> None:
    config = load(
        {
            "stats": {"hourly_retention": "14d", "daily_retention": "365d"},
            "alerts": {
                "drop_ratio": 0.3,
                "min_baseline": 50,
                "latency_warn": "30m",
                "webhook_url": "https://hooks.example.com/signalmesh",
                "webhook_secret": "env:ALERT_SECRET",
            },
            "telemetry": {"prometheus_listen": "0.0.0.0:9464"},
        },
        {"ALERT_SECRET": "s3cret-value"},
    )
    assert config.stats.hourly_retention_seconds == 14 * 86400
    assert config.alerts.drop_ratio == 0.3
    assert config.alerts.min_baseline == 50
    assert config.alerts.latency_warn == 1800
    assert config.alerts.webhook_secret == "s3cret-value"
    assert config.telemetry.prometheus_listen == "0.0.0.0:9464"


def test_rotated_at_per_destination_is_a_date() -> None:
    config = load(
        {
            "destinations": {
                "meta": {"connector": "meta", "access_token": "t", "rotated_at": dt.date(2026, 9, 1)},
                "tiktok": {"connector": "tiktok", "access_token": "t", "rotated_at": "2026-10-02"},
            }
        }
    )
    assert config.rotated_at == {
        "meta": dt.datetime(2026, 9, 1, tzinfo=dt.UTC).timestamp(),
        "tiktok": dt.datetime(2026, 10, 2, tzinfo=dt.UTC).timestamp(),
    }
    assert "rotated_at" not in config.destinations["meta"].settings


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stats": {"hourly_retenion": "1d"}}, "hourly_retenion"),
        ({"stats": {"hourly_retention": "40d", "daily_retention": "30d"}}, "stats.daily_retention"),
        ({"alerts": {"drop_ratio": 50}}, "alerts.drop_ratio: a share between 0 and 1"),
        ({"alerts": {"min_baseline": "twenty"}}, "alerts.min_baseline: must be a non-negative number"),
        ({"alerts": {"webhook_url": "https://x.example"}}, "alerts.webhook_secret: required"),
        ({"alerts": {"webhook_url": "ftp://x", "webhook_secret": "s"}}, "not an http(s) URL"),
        ({"alerts": {"token_age_warn_days": 100}}, "token_age_warn_days"),
        ({"alerts": {"volume_drop": 0.5}}, "volume_drop"),
        ({"telemetry": {"prometheus_listen": "9464"}}, "telemetry.prometheus_listen"),
        ({"telemetry": {"trace_url": "http://localhost:16686/trace/"}}, "telemetry.trace_url: .* {trace_id}"),
        ({"telemetry": {"trace_url": "localhost:16686/trace/{trace_id}"}}, "telemetry.trace_url"),
        (
            {"destinations": {"m": {"connector": "meta", "rotated_at": "last week"}}},
            "destinations.m.rotated_at",
        ),
    ],
)
def test_errors_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(data)


def test_trace_url_turns_a_trace_id_into_the_viewers_link() -> None:
    config = load({"telemetry": {"trace_url": "http://localhost:16686/trace/{trace_id}"}})
    assert config.telemetry.trace_link("0af7651916cd43dd8448eb211c80319c") == (
        "http://localhost:16686/trace/0af7651916cd43dd8448eb211c80319c"
    )
    assert config.telemetry.trace_link("") is None, "no trace id, no link"
