"""The mesh's metrics: received, rejected by rule, decided by reason, delivered by outcome."""

from __future__ import annotations

import time

import pytest
import structlog.testing
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from signalmesh.v1 import event_pb2

from tests.integration.mesh.conftest import STRICT_PIXEL, make_event


@pytest.fixture(scope="module")
def metric_reader() -> InMemoryMetricReader:
    """The global meter provider can be set once per process; the instruments created through
    the global proxy follow it."""
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return reader


@pytest.fixture
def mesh_overrides():
    # A short breaker cooldown: a paused destination probes again within the test's patience.
    return {"dispatcher": {"breaker_cooldown": "200ms"}}


def points(reader: InMemoryMetricReader, name: str) -> dict[tuple, float]:
    totals: dict[tuple, float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        key = tuple(sorted(point.attributes.items()))
                        totals[key] = totals.get(key, 0) + getattr(point, "value", getattr(point, "count", 0))
    return totals


async def test_counters_follow_an_events_path(metric_reader, mesh):
    clicked = make_event("metrics-1", click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.m"))
    await mesh.send(clicked, make_event("metrics-2", value="oops"), make_event("metrics-3", test_mode=True))
    await mesh.wait_delivered("metrics-1", "meta_strict", "meta_send_all")
    received = points(metric_reader, "signalmesh.events.received")
    assert received[(("mode", "live"),)] >= 2 and received[(("mode", "test"),)] >= 1
    rejected = points(metric_reader, "signalmesh.events.rejected")
    assert rejected[(("mode", "live"), ("rule", "value.decimal"))] >= 1
    decided = points(metric_reader, "signalmesh.events.decided")
    assert (
        decided[
            (("decision", "SEND"), ("destination", "meta_strict"), ("mode", "live"), ("reason", "eligible"))
        ]
        >= 1
    )
    # A test event never counts as live: meta_strict has no test channel.
    assert (
        decided[
            (
                ("decision", "SKIP"),
                ("destination", "meta_strict"),
                ("mode", "test"),
                ("reason", "no_test_channel"),
            )
        ]
        >= 1
    )
    delivered = points(metric_reader, "signalmesh.events.delivered")
    assert delivered[(("destination", "meta_strict"), ("outcome", "delivered"))] >= 1
    assert points(metric_reader, "signalmesh.delivery.latency")
    assert points(metric_reader, "signalmesh.match_quality")


async def test_the_outbox_depth_gauge_shows_what_waits_per_destination(metric_reader, mesh):
    await mesh.sandbox.inject(platform="meta", status=503, destination=STRICT_PIXEL)
    fbc = f"fb.1.{int(time.time() * 1000)}.d"
    events = [
        make_event(f"depth-{index}", destinations=["meta_strict"], click_ids=event_pb2.ClickIds(fbc=fbc))
        for index in range(3)
    ]
    await mesh.send(*events)
    await mesh.gateway.housekeeping.sample_depth()  # the background task does this every few seconds
    depth = points(metric_reader, "signalmesh.outbox.depth")
    assert depth[(("destination", "meta_strict"),)] == 3
    assert depth[(("destination", "meta_send_all"),)] == 0
    await mesh.sandbox.clear_faults()
    for event in events:
        await mesh.wait_delivered(event.event_id, "meta_strict")
    await mesh.gateway.housekeeping.sample_depth()
    assert points(metric_reader, "signalmesh.outbox.depth")[(("destination", "meta_strict"),)] == 0


async def test_a_refused_token_raises_an_alert_and_its_recovery_another(metric_reader, mesh):
    await mesh.sandbox.change_tokens(revoke=["sandbox-token"], accept=["other-token"])
    fbc = f"fb.1.{int(time.time() * 1000)}.alert"
    with structlog.testing.capture_logs() as logs:
        await mesh.send(
            make_event("alert-1", destinations=["meta_strict"], click_ids=event_pb2.ClickIds(fbc=fbc))
        )
        statuses = await mesh.wait_for_states(
            "alert-1", lambda states: states.get("meta_strict") == 3
        )  # RETRYING
    [paused] = [line for line in logs if line["event"] == "destination_paused"]
    assert (
        paused["alert"] is True and paused["destination"] == "meta_strict" and "code 190" in paused["reason"]
    )
    assert "the platform refused the credentials" in statuses["meta_strict"].platform_response
    alerts = points(metric_reader, "signalmesh.destination.alerts")
    assert alerts[(("destination", "meta_strict"), ("kind", "credentials"))] >= 1
    await mesh.sandbox.change_tokens(accept=["sandbox-token"])
    await mesh.wait_delivered("alert-1", "meta_strict")
    alerts = points(metric_reader, "signalmesh.destination.alerts")
    assert alerts[(("destination", "meta_strict"), ("kind", "recovered"))] >= 1


async def test_each_delivered_event_counts_once_however_the_dispatch_batches_them(metric_reader, mesh):
    key = (("destination", "meta_strict"), ("outcome", "delivered"))
    before = points(metric_reader, "signalmesh.events.delivered").get(key, 0)
    latencies_before = points(metric_reader, "signalmesh.delivery.latency").get(key[:1], 0)
    fbc = f"fb.1.{int(time.time() * 1000)}.count"
    events = [
        make_event(f"count-{index}", destinations=["meta_strict"], click_ids=event_pb2.ClickIds(fbc=fbc))
        for index in range(7)
    ]
    await mesh.send(*events)
    for event in events:
        await mesh.wait_delivered(event.event_id, "meta_strict")
    assert points(metric_reader, "signalmesh.events.delivered")[key] - before == 7
    assert points(metric_reader, "signalmesh.delivery.latency")[key[:1]] - latencies_before == 7
