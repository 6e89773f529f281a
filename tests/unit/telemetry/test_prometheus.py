"""The Prometheus endpoint serves the mesh's instruments under conventional names."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from signalmesh.telemetry.metrics import Metrics, setup_metrics
from signalmesh.telemetry.prometheus import split_listen, start_prometheus


def test_a_scrape_shows_recorded_counters_with_prometheus_names() -> None:
    endpoint = start_prometheus("127.0.0.1:0")
    try:
        provider = setup_metrics(
            "signalmesh-test",
            environ={"OTEL_METRICS_EXPORTER": "none"},
            set_global=False,
            extra_readers=[endpoint.reader],
        )
        metrics = Metrics.create(provider.get_meter("signalmesh"))
        metrics.events_received.add(3)
        metrics.events_delivered.add(2, {"destination": "meta", "outcome": "delivered"})
        with urllib.request.urlopen(f"http://{endpoint.address}/metrics", timeout=5) as response:
            body = response.read().decode()
        samples = {
            (
                sample.name,
                sample.labels.get("destination", ""),
                sample.labels.get("outcome", ""),
            ): sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
        }
        assert samples[("signalmesh_events_received_total", "", "")] == 3.0
        assert samples[("signalmesh_events_delivered_total", "meta", "delivered")] == 2.0
        provider.shutdown()
    finally:
        endpoint.close()


def test_two_endpoints_in_one_process_keep_their_own_numbers() -> None:
    first, second = start_prometheus("127.0.0.1:0"), start_prometheus("127.0.0.1:0")
    try:
        provider = setup_metrics(
            "signalmesh-a",
            environ={"OTEL_METRICS_EXPORTER": "none"},
            set_global=False,
            extra_readers=[first.reader],
        )
        Metrics.create(provider.get_meter("signalmesh")).events_received.add(5)
        with urllib.request.urlopen(f"http://{second.address}/metrics", timeout=5) as response:
            assert "signalmesh_events_received_total" not in response.read().decode()
        provider.shutdown()
    finally:
        first.close()
        second.close()


def test_listen_addresses() -> None:
    assert split_listen("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert split_listen(":9464") == ("0.0.0.0", 9464)
    assert split_listen("[::1]:9464") == ("::1", 9464)
