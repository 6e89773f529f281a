"""Monitoring over a running mesh, on both store backends: the history its own traffic leaves
(GetStats and `signalmesh stats`), the browser layer (ObserveEvents), reconciliation against a CRM
file (`signalmesh reconcile`), the discrepancy alert it raises (`signalmesh alerts`) and the
report (`signalmesh report`)."""

from __future__ import annotations

import json
import time

import grpc
import pytest
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring import history
from signalmesh.v1 import event_pb2, monitoring_pb2, monitoring_pb2_grpc

from tests.integration.mesh.conftest import make_event
from tests.integration.mesh.test_cli import signalmesh


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.mon"))


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def mesh_overrides(request: pytest.FixtureRequest) -> dict:
    """Every test here runs on both store backends: history, deliveries, observations, alerts and
    the kept reconciliation live in the store."""
    if request.param == "sqlite":
        return {}
    url, namespace = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_namespace")
    return {"store": {"backend": "redis", "redis_url": url, "redis_namespace": namespace}}


@pytest.fixture
def monitoring(mesh) -> monitoring_pb2_grpc.MonitoringStub:
    return monitoring_pb2_grpc.MonitoringStub(mesh.channel)


async def send_the_day(mesh) -> None:
    """A clicked purchase (both pixels), an organic one (send_all only) and an invalid one."""
    response = await mesh.send(
        clicked("mon-clicked"), make_event("mon-organic"), make_event("mon-bad", value="1e3")
    )
    assert (response.accepted, response.rejected) == (2, 1)
    await mesh.wait_delivered("mon-clicked", "meta_strict", "meta_send_all")
    await mesh.wait_delivered("mon-organic", "meta_send_all")


async def test_the_mesh_counts_its_own_traffic_per_destination(mesh, monitoring) -> None:
    await send_the_day(mesh)
    response = await monitoring.GetStats(
        monitoring_pb2.GetStatsRequest(since=timestamp(time.time() - 3600)),
        metadata=mesh.metadata,
        timeout=10,
    )
    totals: dict[str, dict[str, float]] = {}
    for bucket in response.buckets:
        assert (bucket.event_name, bucket.mode) == ("Purchase", history.LIVE)
        counters = totals.setdefault(bucket.destination, {})
        for name, amount in bucket.counters.items():
            counters[name] = counters.get(name, 0) + amount
    strict, send_all = totals["meta_strict"], totals["meta_send_all"]
    assert strict[history.RECEIVED] == send_all[history.RECEIVED] == 3
    assert strict["rejected.value.decimal"] == send_all["rejected.value.decimal"] == 1
    assert (strict[history.DECIDED_SEND], strict["skipped.missing_click_id"], strict[history.DELIVERED]) == (
        1,
        1,
        1,
    )
    assert (send_all[history.DECIDED_SEND], send_all[history.DELIVERED]) == (2, 2)
    assert send_all[history.DELIVERED_NO_CLICK_ID] == 1 and history.DELIVERED_NO_CLICK_ID not in strict
    assert send_all["value.USD"] == pytest.approx(59.98)
    assert send_all[history.MATCH_QUALITY_COUNT] == 2 and send_all[history.MATCH_QUALITY_SUM] > 0
    assert sum(amount for name, amount in send_all.items() if name.startswith(history.LATENCY)) == 2

    code, output = await signalmesh(
        "stats", "--since", "1d", "--json", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0, output
    lines = {line["destination"]: line for line in json.loads(output)["lines"]}
    assert set(lines) == {"meta_strict", "meta_send_all"}
    code, table = await signalmesh(
        "stats",
        "--destination",
        "meta_send_all",
        "--gateway",
        mesh.gateway.address,
        "--key",
        mesh.gateway.local_key,
    )
    assert code == 0 and "meta_send_all" in table and "meta_strict" not in table, table


async def test_reconcile_names_what_each_layer_lacks_and_raises_the_discrepancy_alert(
    mesh, monitoring, tmp_path
) -> None:
    await send_the_day(mesh)
    now = time.time()
    # The browser pixel fired for the clicked purchase only.
    recorded = await monitoring.ObserveEvents(
        monitoring_pb2.ObserveEventsRequest(
            observations=[
                monitoring_pb2.Observation(
                    event_id="mon-clicked", event_name="Purchase", event_time=timestamp(now - 60)
                )
            ]
        ),
        metadata=mesh.metadata,
        timeout=10,
    )
    assert recorded.recorded == 1
    # The CRM recorded the clicked purchase and an order the server never saw.
    crm = tmp_path / "crm.csv"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
    crm.write_text(
        "order_id,event_name,event_time,value,currency\n"
        f"mon-clicked,Purchase,{stamp},29.99,USD\n"
        f"mon-crm-only,Purchase,{stamp},80.00,USD\n"
    )
    code, output = await signalmesh(
        "reconcile", "--crm", str(crm), "--since", "1d", "--json",
        "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key,
    )  # fmt: skip
    assert code == 0, output
    document = json.loads(output)
    [day] = document["days"]
    assert (day["browser"], day["server"], day["crm"]) == (1, 2, 2)
    assert day["missing"]["server_not_in_crm"]["ids"] == ["mon-organic"]
    assert day["missing"]["crm_not_in_server"]["ids"] == ["mon-crm-only"]
    assert day["missing"]["server_not_in_browser"]["ids"] == ["mon-organic"]
    assert document["no_click_id"]["without_click_id"] == 1
    assert document["result"] == "WARN"

    code, table = await signalmesh(
        "reconcile", "--crm", str(crm), "--since", "1d",
        "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key,
    )  # fmt: skip
    assert code == 0 and "mon-crm-only" in table and "WARN" in table, table

    latest = await monitoring.GetLatestReconciliation(
        monitoring_pb2.GetLatestReconciliationRequest(), metadata=mesh.metadata, timeout=10
    )
    assert json.loads(latest.result_json)["days"] == document["days"]

    fired = await mesh.gateway.alert_watch.evaluate_once()
    assert fired and {item.rule for item in fired} == {"discrepancy"}
    code, output = await signalmesh(
        "alerts", "--json", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0, output
    alerts = json.loads(output)
    assert alerts and all(alert["state"] == "firing" and alert["rule"] == "discrepancy" for alert in alerts)
    assert "signalmesh reconcile" in alerts[0]["details"]["command"]


async def test_a_bad_crm_row_is_named_and_nothing_is_compared(mesh, tmp_path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "order_id,event_name,event_time\nok-1,Purchase,2026-03-01T10:00:00Z\nbad-1,Purchase,yesterday\n"
    )
    code, output = await signalmesh(
        "reconcile", "--crm", str(crm), "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 2
    assert "crm.csv line 3, column event_time" in output and "nothing was compared" in output


async def test_observations_without_an_id_are_refused_naming_the_field(mesh, monitoring) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await monitoring.ObserveEvents(
            monitoring_pb2.ObserveEventsRequest(
                observations=[
                    monitoring_pb2.Observation(event_name="Lead", event_time=timestamp(time.time()))
                ]
            ),
            metadata=mesh.metadata,
            timeout=10,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "observations[0].event_id: required" in error.value.details()


async def test_no_reconciliation_yet_is_not_found_with_the_command_to_run(mesh, monitoring) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await monitoring.GetLatestReconciliation(
            monitoring_pb2.GetLatestReconciliationRequest(), metadata=mesh.metadata, timeout=10
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND and "signalmesh reconcile" in error.value.details()


async def test_report_prints_tables_and_writes_a_self_contained_page(mesh, tmp_path) -> None:
    await send_the_day(mesh)
    address, key = mesh.gateway.address, mesh.gateway.local_key
    code, output = await signalmesh("report", "--days", "3", "--gateway", address, "--key", key)
    assert code == 0, output
    assert "meta_send_all" in output and "meta_strict" in output
    page = tmp_path / "report.html"
    code, output = await signalmesh("report", "--html", str(page), "--gateway", address, "--key", key)
    assert code == 0 and "report written" in output, output
    html = page.read_text()
    assert "meta_send_all" in html and html.count("data-chart=") >= 7
    assert "<script src" not in html and "<link" not in html and "https://" not in html
