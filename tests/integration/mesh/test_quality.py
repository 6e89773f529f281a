"""The quality lines and unusable identifiers over a running mesh, on both store backends: a
stale event is warned about and counted in the history; an unusable optional identifier costs
only itself; the ``[quality]`` settings reach the gateway."""

from __future__ import annotations

import time
from typing import Any

import pytest
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring import history
from signalmesh.v1 import event_pb2, gateway_pb2, monitoring_pb2, monitoring_pb2_grpc

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, STRICT_PIXEL, make_event


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def mesh_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A mesh whose quality lines are moved (match quality 9.5, stale after 30 minutes)."""
    overrides: dict[str, Any] = {"quality": {"warn_below": 9.5, "stale_after": "30m"}}
    if request.param == "redis":
        overrides["store"] = {
            "backend": "redis",
            "redis_url": request.getfixturevalue("redis_url"),
            "redis_namespace": request.getfixturevalue("redis_namespace"),
        }
    return overrides


def clicked(event_id: str, age_seconds: float = 60, **fields: Any) -> event_pb2.ConversionEvent:
    event = make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.quality"), **fields
    )
    event.event_time.CopyFrom(timestamp(time.time() - age_seconds))
    return event


def warnings(result: gateway_pb2.EventResult) -> dict[str, str]:
    return {item.reason: item.description for item in result.warnings}


async def counters(mesh, destination: str) -> dict[str, float]:
    monitoring = monitoring_pb2_grpc.MonitoringStub(mesh.channel)
    response = await monitoring.GetStats(
        monitoring_pb2.GetStatsRequest(since=timestamp(time.time() - 3600), destination=destination),
        metadata=mesh.metadata,
        timeout=10,
    )
    total: dict[str, float] = {}
    for bucket in response.buckets:
        for name, amount in bucket.counters.items():
            total[name] = total.get(name, 0) + amount
    return total


async def test_a_stale_event_is_delivered_warned_with_its_delay_and_counted(mesh) -> None:
    response = await mesh.send(clicked("late-1", age_seconds=45 * 60), clicked("fresh-1"))
    late, fresh = response.results
    assert response.accepted == 2
    assert "arrived 45 min after the event happened (more than 30 min)" in warnings(late)["event_time.stale"]
    assert "event_time.stale" not in warnings(fresh)
    await mesh.wait_delivered("late-1", "meta_strict", "meta_send_all")
    for destination in ("meta_strict", "meta_send_all"):
        counted = await counters(mesh, destination)
        assert (counted[history.RECEIVED], counted[history.STALE]) == (2, 1), destination


async def test_the_configured_match_quality_line_warns_per_destination(mesh) -> None:
    [result] = (await mesh.send(clicked("quality-1"))).results
    warning = next(item for item in result.warnings if item.reason == "match_quality.low")
    assert warning.description.startswith("meta_strict: match quality ")
    assert "is below 9.5 (target 7.5–9)" in warning.description


async def test_an_unusable_optional_identifier_costs_only_itself(mesh) -> None:
    event = clicked(
        "ip-1",
        user_data=event_pb2.UserData(
            emails=["jane.doe@example.com"],
            phones=["call me"],
            client_ip_address="999.1.2.3",
            client_user_agent="Mozilla/5.0 (test)",
        ),
    )
    response = await mesh.send(event)
    [result] = response.results
    assert result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    shown = {item.field: item.description for item in result.warnings}
    for field in ("user_data.client_ip_address", "user_data.phones[0]"):
        assert shown[field].endswith("not sent: the event goes to meta_strict, meta_send_all without it")
    await mesh.wait_delivered("ip-1", "meta_strict", "meta_send_all")
    for pixel in (STRICT_PIXEL, SEND_ALL_PIXEL):
        [recorded] = (await mesh.sandbox.events("meta", pixel)).events
        user_data = recorded["user_data"]
        assert "client_ip_address" not in user_data and "ph" not in user_data
        assert user_data["em"] and user_data["client_user_agent"] == "Mozilla/5.0 (test)"
