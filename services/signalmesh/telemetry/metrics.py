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
from typing import Generic, TypeVar

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


@dataclass(frozen=True, slots=True)
class Instrument:
    """One of DESIGN §7's measurements as OpenTelemetry names it."""

    name: str
    unit: str
    description: str
    buckets: Sequence[float] = ()  # histograms: the advised bucket boundaries


EVENTS_RECEIVED = Instrument("signalmesh.events.received", "{event}", "Events that arrived at the gateway")
EVENTS_REJECTED = Instrument("signalmesh.events.rejected", "{event}", "Events refused by validation, by rule")
EVENTS_DECIDED = Instrument(
    "signalmesh.events.decided", "{event}", "Policy decisions per destination, by reason"
)
EVENTS_DELIVERED = Instrument("signalmesh.events.delivered", "{event}", "Delivery outcomes per destination")
DELIVERY_LATENCY = Instrument(
    "signalmesh.delivery.latency", "s", "Time from the event's own time to its delivery", LATENCY_BUCKETS
)
MATCH_QUALITY = Instrument(
    "signalmesh.match_quality", "1", "Match quality score (0-10) of prepared events", MATCH_QUALITY_BUCKETS
)
OUTBOX_DEPTH = Instrument(
    "signalmesh.outbox.depth", "{entry}", "Entries waiting in the outbox per destination"
)
DESTINATION_ALERTS = Instrument(
    "signalmesh.destination.alerts",
    "{alert}",
    "A destination paused (bad credentials, open circuit) or recovered",
)
ALERT_NOTIFICATIONS = Instrument(
    "signalmesh.alert.notifications",
    "{notification}",
    "Alert notifications sent (firing or resolved), by rule",
)
ALERTS_FIRING = Instrument(
    "signalmesh.alerts.firing", "{alert}", "Alerts firing at the last evaluation, by rule and destination"
)

_Callback = TypeVar("_Callback")


class _Callbacks(Generic[_Callback]):
    """The callbacks an observable gauge reads at each collection: registered and removed from
    any thread, read on the metric reader's."""

    def __init__(self) -> None:
        self._callbacks: list[_Callback] = []
        self._lock = threading.Lock()

    def add(self, callback: _Callback) -> Callable[[], None]:
        """Register ``callback``; call the result to remove it."""
        with self._lock:
            self._callbacks.append(callback)

        def unregister() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unregister

    def registered(self) -> list[_Callback]:
        with self._lock:
            return list(self._callbacks)


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
    _outbox_depth_callbacks: _Callbacks[OutboxDepthCallback] = field(default_factory=_Callbacks, repr=False)
    _firing_callbacks: _Callbacks[FiringAlertsCallback] = field(default_factory=_Callbacks, repr=False)

    @classmethod
    def create(cls, meter: metrics.Meter) -> Metrics:
        depth_callbacks: _Callbacks[OutboxDepthCallback] = _Callbacks()
        firing_callbacks: _Callbacks[FiringAlertsCallback] = _Callbacks()

        def observe_firing(options: CallbackOptions) -> Iterable[Observation]:
            for callback in firing_callbacks.registered():
                for (rule, destination, severity), value in callback().items():
                    yield Observation(value, {"rule": rule, "destination": destination, "severity": severity})

        def observe_depth(options: CallbackOptions) -> Iterable[Observation]:
            for callback in depth_callbacks.registered():
                for destination, depth in callback().items():
                    yield Observation(depth, {"destination": destination})

        def counter(instrument: Instrument) -> Counter:
            return meter.create_counter(instrument.name, instrument.unit, instrument.description)

        def histogram(instrument: Instrument) -> Histogram:
            return meter.create_histogram(
                instrument.name,
                instrument.unit,
                instrument.description,
                explicit_bucket_boundaries_advisory=instrument.buckets,
            )

        def gauge(
            instrument: Instrument, observe: Callable[[CallbackOptions], Iterable[Observation]]
        ) -> ObservableGauge:
            return meter.create_observable_gauge(
                instrument.name, [observe], instrument.unit, instrument.description
            )

        return cls(
            events_received=counter(EVENTS_RECEIVED),
            events_rejected=counter(EVENTS_REJECTED),
            events_decided=counter(EVENTS_DECIDED),
            events_delivered=counter(EVENTS_DELIVERED),
            delivery_latency_seconds=histogram(DELIVERY_LATENCY),
            match_quality=histogram(MATCH_QUALITY),
            outbox_depth=gauge(OUTBOX_DEPTH, observe_depth),
            destination_alerts=counter(DESTINATION_ALERTS),
            alert_notifications=counter(ALERT_NOTIFICATIONS),
            alerts_firing=gauge(ALERTS_FIRING, observe_firing),
            _outbox_depth_callbacks=depth_callbacks,
            _firing_callbacks=firing_callbacks,
        )

    def observe_firing_alerts(self, callback: FiringAlertsCallback) -> Callable[[], None]:
        """Report firing alerts from ``callback`` at every collection; call the result to stop."""
        return self._firing_callbacks.add(callback)

    def observe_outbox_depth(self, callback: OutboxDepthCallback) -> Callable[[], None]:
        """Report outbox depth from ``callback`` (destination → depth) at every collection;
        call the returned function to stop (a stopped gateway must not report stale depths)."""
        return self._outbox_depth_callbacks.add(callback)


# False once start-up configured metrics with no reader (no exporter, no Prometheus endpoint):
# then nothing would ever read a measurement, and per-event recording is skipped.
_recorded = True


def metrics_recorded() -> bool:
    """Whether measurements reach a reader; callers skip per-event metric work when not."""
    return _recorded


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
        global _recorded
        _recorded = bool(readers)
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
