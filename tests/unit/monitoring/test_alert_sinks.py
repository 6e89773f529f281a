"""The alert webhook request: signed like the webhook connector's, verifiable with the code its
README gives receivers, and a Slack text a person can act on."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace

from signalmesh.monitoring.alert_lifecycle import FIRING, RESOLVED, Notification
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.alert_sinks import (
    build_webhook_request,
    log_fields,
    metric_attributes,
    signature,
    slack_text,
)
from signalmesh.monitoring.findings import WARNING, Finding
from signalmesh_webhook import batching

SETTINGS = AlertSettings(webhook_url="http://127.0.0.1:1/alerts", webhook_secret="s3cret")
FINDING = Finding(
    alert_key="volume_drop:meta-main",
    rule="volume_drop",
    severity=WARNING,
    destination="meta-main",
    figure=12,
    baseline=130,
    threshold=65,
    window="last full hour (13:00–14:00 UTC)",
    message="meta-main: 12 delivered in the last full hour, below 50 % of the 7-day average (130)",
    command="signalmesh stats --since 7d --destination meta-main",
)


def notification(state: str = FIRING, resolved_at: float = 0.0) -> Notification:
    return Notification(
        alert_key=FINDING.alert_key,
        rule=FINDING.rule,
        state=state,
        severity=FINDING.severity,
        destination=FINDING.destination,
        fired_at=1_773_150_000.0,
        resolved_at=resolved_at,
        details=FINDING.details(),
        at=1_773_150_000.0,
    )


def receiver_verifies(raw_body: bytes, header: str, secret: str) -> bool:
    """The receiver's computation, as plugins/webhook/README.md ("Verifying requests") gives it."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


def test_the_signature_verifies_with_the_receivers_computation():
    headers, body = build_webhook_request(notification(), SETTINGS)
    assert receiver_verifies(body, headers["X-SignalMesh-Signature"], "s3cret")
    assert not receiver_verifies(body + b" ", headers["X-SignalMesh-Signature"], "s3cret")
    assert not receiver_verifies(body, headers["X-SignalMesh-Signature"], "other")


def test_the_scheme_is_the_webhook_connectors():
    body = b'{"any":"bytes"}'
    assert signature("s3cret", body) == batching.signature("s3cret", body)
    assert SETTINGS.webhook_signature_header == batching.DEFAULT_SIGNATURE_HEADER


def test_the_signature_header_name_is_configurable():
    settings = AlertSettings(webhook_secret="k", webhook_signature_header="X-Hub-Signature-256")
    headers, body = build_webhook_request(notification(), settings)
    assert receiver_verifies(body, headers["X-Hub-Signature-256"], "k")


def test_without_a_secret_the_request_is_unsigned():
    headers, _ = build_webhook_request(notification(), AlertSettings(webhook_url="http://x"))
    assert headers == {"Content-Type": "application/json"}


def test_the_body_carries_every_field_and_is_the_same_bytes_each_time():
    headers, body = build_webhook_request(notification(), SETTINGS)
    assert build_webhook_request(notification(), SETTINGS) == (headers, body)
    data = json.loads(body)
    assert {key: data[key] for key in ("alert_key", "rule", "state", "severity", "destination")} == {
        "alert_key": "volume_drop:meta-main",
        "rule": "volume_drop",
        "state": "firing",
        "severity": "warning",
        "destination": "meta-main",
    }
    assert (data["figure"], data["baseline"], data["threshold"]) == (12, 130, 65)
    assert data["window"] == FINDING.window and data["command"] == FINDING.command
    assert data["fired_at"] == "2026-03-10T13:40:00Z" and data["resolved_at"] is None
    assert data["text"] == slack_text(notification())


def test_the_slack_text_names_destination_figure_baseline_threshold_window_and_command():
    text = slack_text(notification())
    assert text.startswith("*FIRING* (warning) volume_drop · meta-main")
    for part in (
        "meta-main",
        "figure 12",
        "baseline 130",
        "threshold 65",
        "window last full hour (13:00–14:00 UTC)",
        "`signalmesh stats --since 7d --destination meta-main`",
    ):
        assert part in text, part


def test_a_resolved_text_says_when_it_fired_and_resolved():
    text = slack_text(notification(RESOLVED, resolved_at=1_773_157_200.0))
    assert text.startswith("*RESOLVED* volume_drop · meta-main")
    assert "fired 2026-03-10T13:40:00Z" in text and "resolved 2026-03-10T15:40:00Z" in text


def test_an_unbounded_latency_reads_as_past_the_last_bucket():
    latency = Finding(
        "latency:meta",
        "latency",
        "critical",
        "meta",
        float("inf"),
        None,
        86400,
        "last hour",
        "m",
        "c",
        "seconds",
    )
    assert latency.details()["figure"] is None, "JSON has no infinity"
    item = replace(notification(), details=latency.details())
    assert "figure > 7 d" in slack_text(item) and "threshold 1 d" in slack_text(item)


def test_the_log_line_is_data_without_the_text():
    event, fields = log_fields(notification())
    assert event == "alert_firing"
    assert fields["alert"] is True and fields["destination"] == "meta-main" and "text" not in fields
    assert metric_attributes(notification()) == {
        "rule": "volume_drop",
        "severity": "warning",
        "state": "firing",
        "destination": "meta-main",
    }
