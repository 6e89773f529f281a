"""A Prometheus scrape endpoint (``GET /metrics``) for one service, off unless
``[telemetry] prometheus_listen`` is set: Kubernetes users expect to scrape, not to run a collector.

The mesh's OpenTelemetry instruments are exported through the SDK's Prometheus reader, so names
follow the usual convention (``signalmesh.events.received`` → ``signalmesh_events_received_total``).
Each service serves its own registry, so two services in one process (tests, `signalmesh up`)
never mix their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from prometheus_client import CollectorRegistry, start_http_server


@dataclass(slots=True)
class PrometheusEndpoint:
    reader: PrometheusMetricReader
    server: WSGIServer

    @property
    def address(self) -> str:
        host = self.server.server_address[0]
        shown = host.decode() if isinstance(host, bytes) else host
        return f"{shown}:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def start_prometheus(listen: str) -> PrometheusEndpoint:
    """Serve ``/metrics`` on ``listen`` ("host:port"; port 0 picks a free one) from a new reader."""
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    host, port = split_listen(listen)
    try:
        server, _ = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise OSError(f"telemetry.prometheus_listen: cannot listen on {listen}: {error}") from None
    return PrometheusEndpoint(reader, server)
