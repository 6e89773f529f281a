"""The mesh's measurements (DESIGN §7), created once through the OpenTelemetry metrics API.

Business code records into ``get_metrics()`` and never configures exporters; ``setup_metrics``
picks them at start-up from ``OTEL_METRICS_EXPORTER`` (``otlp`` | ``console`` | ``none``; by
default ``otlp`` only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set). Instruments created before
``setup_metrics`` are bound to the real provider as soon as it is set (the API's proxy meter),
so import order does not matter. Attributes are low-cardinality labels only: destinations,
decisions, reasons, outcomes, rule names; never event ids, never personal data.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, ObservableGauge, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)

from signalmesh.telemetry.tracing import selected_exporters, service_resource

METER_NAME = "signalmesh"
# Seconds from the event's own time to the platform's acceptance: near-real-time up to a day.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
# A connector's match quality score, 0–10.
MATCH_QUALITY_BUCKETS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)

# destination → entries waiting in the outbox. Called on the metric reader's thread at each
# collection: return a value already at hand (e.g. the dispatcher's last count), do no I/O.
OutboxDepthCallback = Callable[[], Mapping[str, int]]
# (rule, destination, severity) → 1 per firing alert; same rules as above (no I/O).
FiringAlertsCallback = Callable[[], Mapping[tuple[str, str, str], int]]


@dataclass(slots=True)
class Metrics:
    """Every instrument the mesh records into. Attributes to pass are listed per field."""

    # {} — events that arrived at the gateway.
    events_received: Counter
    # {"rule": "user_data.phones.e164", ...} — events refused by validation, by the rule broken.
    events_rejected: Counter
    # {"destination", "decision": "SEND" | "SKIP", "reason"} — policy decisions.
    events_decided: Counter
    # {"destination", "outcome": "delivered" | "retry" | "rejected" | "dead_lettered"}.
    events_delivered: Counter
    # {"destination"} — seconds from event_time to delivery.
    delivery_latency_seconds: Histogram
    # {"destination"} — the connector's match quality score (0–10) of each prepared event.
    match_quality: Histogram
    # {"destination"} — observed through the callbacks given to observe_outbox_depth().
    outbox_depth: ObservableGauge
    # {"destination", "kind": "credentials" | "circuit_open" | "recovered"} — things a person must know.
    destination_alerts: Counter
    # {"rule", "severity", "state": "firing" | "resolved", "destination"} — alert notifications sent.
    alert_notifications: Counter
    # {"rule", "destination", "severity"} — 1 per alert firing at the last evaluation.
    alerts_firing: ObservableGauge
    _outbox_depth_callbacks: list[OutboxDepthCallback] = field(default_factory=list, repr=False)
    _firing_callbacks: list[FiringAlertsCallback] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(cls, meter: metrics.Meter) -> Metrics:
        callbacks: list[OutboxDepthCallback] = []
        firing_callbacks: list[FiringAlertsCallback] = []
        lock = threading.Lock()

        def observe_firing(options: CallbackOptions) -> Iterable[Observation]:
            with lock:
                registered = list(firing_callbacks)
            for callback in registered:
                for (rule, destination, severity), value in callback().items():
                    yield Observation(value, {"rule": rule, "destination": destination, "severity": severity})

        def observe_depth(options: CallbackOptions) -> Iterable[Observation]:
            with lock:
                registered = list(callbacks)
            for callback in registered:
                for destination, depth in callback().items():
                    yield Observation(depth, {"destination": destination})

        return cls(
            events_received=meter.create_counter(
                "signalmesh.events.received", unit="{event}", description="Events that arrived at the gateway"
            ),
            events_rejected=meter.create_counter(
                "signalmesh.events.rejected",
                unit="{event}",
                description="Events refused by validation, by rule",
            ),
            events_decided=meter.create_counter(
                "signalmesh.events.decided",
                unit="{event}",
                description="Policy decisions per destination, by reason",
            ),
            events_delivered=meter.create_counter(
                "signalmesh.events.delivered", unit="{event}", description="Delivery outcomes per destination"
            ),
            delivery_latency_seconds=meter.create_histogram(
                "signalmesh.delivery.latency",
                unit="s",
                description="Time from the event's own time to its delivery",
                explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
            ),
            match_quality=meter.create_histogram(
                "signalmesh.match_quality",
                unit="1",
                description="Match quality score (0-10) of prepared events",
                explicit_bucket_boundaries_advisory=MATCH_QUALITY_BUCKETS,
            ),
            outbox_depth=meter.create_observable_gauge(
                "signalmesh.outbox.depth",
                callbacks=[observe_depth],
                unit="{entry}",
                description="Entries waiting in the outbox per destination",
            ),
            destination_alerts=meter.create_counter(
                "signalmesh.destination.alerts",
                unit="{alert}",
                description="A destination paused (bad credentials, open circuit) or recovered",
            ),
            alert_notifications=meter.create_counter(
                "signalmesh.alert.notifications",
                unit="{notification}",
                description="Alert notifications sent (firing or resolved), by rule",
            ),
            alerts_firing=meter.create_observable_gauge(
                "signalmesh.alerts.firing",
                callbacks=[observe_firing],
                unit="{alert}",
                description="Alerts firing at the last evaluation, by rule and destination",
            ),
            _outbox_depth_callbacks=callbacks,
            _firing_callbacks=firing_callbacks,
            _lock=lock,
        )

    def observe_firing_alerts(self, callback: FiringAlertsCallback) -> Callable[[], None]:
        """Report firing alerts from ``callback`` at every collection; call the result to stop."""
        with self._lock:
            self._firing_callbacks.append(callback)

        def unregister() -> None:
            with self._lock:
                if callback in self._firing_callbacks:
                    self._firing_callbacks.remove(callback)

        return unregister

    def observe_outbox_depth(self, callback: OutboxDepthCallback) -> Callable[[], None]:
        """Report outbox depth from ``callback`` (destination → depth) at every collection;
        call the returned function to stop (a stopped gateway must not report stale depths)."""
        with self._lock:
            self._outbox_depth_callbacks.append(callback)

        def unregister() -> None:
            with self._lock:
                if callback in self._outbox_depth_callbacks:
                    self._outbox_depth_callbacks.remove(callback)

        return unregister


@functools.cache
def get_metrics() -> Metrics:
    """The process's instruments, on the global meter provider; created on first use."""
    return Metrics.create(metrics.get_meter(METER_NAME))


def setup_metrics(
    service_name: str,
    *,
    environ: Mapping[str, str] | None = None,
    set_global: bool = True,
    extra_readers: Sequence[MetricReader] = (),
) -> MeterProvider:
    """Build this service's meter provider from the ``OTEL_*`` variables; call once at start-up.

    The export interval, endpoint and headers are read by the SDK itself
    (``OTEL_METRIC_EXPORT_INTERVAL``, ``OTEL_EXPORTER_OTLP_*``).
    """
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(_metric_exporter(name))
        for name in selected_exporters("OTEL_METRICS_EXPORTER", environ)
    ]
    readers += extra_readers  # e.g. the Prometheus endpoint's reader
    provider = MeterProvider(resource=service_resource(service_name), metric_readers=readers)
    if set_global:
        metrics.set_meter_provider(provider)
    return provider


def _metric_exporter(name: str) -> MetricExporter:
    if name == "console":
        return ConsoleMetricExporter()
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def shutdown_metrics(provider: MeterProvider) -> None:
    """Export what was recorded, then stop the readers. Blocks; call at shut-down."""
    provider.shutdown()
