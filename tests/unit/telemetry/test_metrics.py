"""The mesh's instruments record what DESIGN §7 lists, with the attributes callers pass."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from signalmesh.telemetry.metrics import Metrics, get_metrics, setup_metrics


def collect(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: list(metric.data.data_points)
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    }


def test_counters_histograms_and_outbox_depth_are_recorded_with_their_attributes() -> None:
    """Counters add up per attribute set; the gauge reads every registered callback."""
    reader = InMemoryMetricReader()
    instruments = Metrics.create(MeterProvider(metric_readers=[reader]).get_meter("test"))
    instruments.events_received.add(3)
    instruments.events_decided.add(2, {"destination": "meta", "decision": "SEND", "reason": "eligible"})
    instruments.events_delivered.add(1, {"destination": "meta", "outcome": "delivered"})
    instruments.delivery_latency_seconds.record(0.3, {"destination": "meta"})
    instruments.match_quality.record(7.5, {"destination": "meta"})
    instruments.observe_outbox_depth(lambda: {"meta": 4, "google": 0})
    instruments.observe_outbox_depth(lambda: {"tiktok": 1})

    points = collect(reader)
    assert points["signalmesh.events.received"][0].value == 3
    (decided,) = points["signalmesh.events.decided"]
    assert (decided.value, dict(decided.attributes)) == (
        2,
        {"destination": "meta", "decision": "SEND", "reason": "eligible"},
    )
    assert points["signalmesh.delivery.latency"][0].sum == 0.3
    assert points["signalmesh.match_quality"][0].sum == 7.5
    depth = {point.attributes["destination"]: point.value for point in points["signalmesh.outbox.depth"]}
    assert depth == {"meta": 4, "google": 0, "tiktok": 1}


def test_exporters_default_to_none_and_get_metrics_is_created_once() -> None:
    """No endpoint, no exporter: the provider has no readers; instruments are shared."""
    provider = setup_metrics("gateway", environ={}, set_global=False)
    provider.shutdown()
    assert get_metrics() is get_metrics()


def test_per_event_metrics_are_skipped_only_when_no_reader_would_read_them(monkeypatch: Any) -> None:
    """Start-up with no exporter and no extra reader turns per-event recording off; with a reader
    (e.g. the Prometheus endpoint's) it stays on. The global provider itself is left alone."""
    from signalmesh.telemetry import metrics as metrics_module

    monkeypatch.setattr(metrics_module.metrics, "set_meter_provider", lambda provider: None)
    monkeypatch.setattr(metrics_module, "_recorded", True)
    setup_metrics("gateway", environ={}).shutdown()
    assert not metrics_module.metrics_recorded()
    setup_metrics("gateway", environ={}, extra_readers=[InMemoryMetricReader()]).shutdown()
    assert metrics_module.metrics_recorded()
