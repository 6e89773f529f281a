"""`signalmesh demo`: the embedded mesh as real processes on this machine, exercised and explained.

The demo starts the sandbox, policy and gateway on free loopback ports with a throwaway state
directory, sends sample events (``demo_samples``) that show each decision the product makes,
waits for delivery, prints one row per (event, destination), then reconciles the browser, server
and CRM layers against a small CRM export and shows the alert that raises, switches one
destination's strategy (the organic purchase, sent again under a new id, now goes out), and
stops everything.
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import grpc
from rich.console import Console
from rich.table import Table

from signalmesh.cli.client import GatewayClient, bad_request_violations
from signalmesh.cli.commands.alerts import print_alerts
from signalmesh.cli.commands.reconcile import print_reconciliation, reconcile_request
from signalmesh.cli.demo_samples import (
    DEMO_CONFIG,
    SANDBOX_KEYS,
    demo_crm_csv,
    demo_pixel_firings,
    sample_events,
)
from signalmesh.cli.output import decision_name, reason_name, state_name
from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.cli.strategy_output import audit_line
from signalmesh.config import SANDBOX_TOKEN
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring.reconciliation_inputs import load_crm
from signalmesh.v1 import event_pb2, gateway_pb2, monitoring_pb2, policy_pb2


def run_demo(console: Console) -> int:
    with tempfile.TemporaryDirectory(prefix="signalmesh-demo-") as directory:
        run_dir = Path(directory)
        processes: list[ServiceProcess] = []
        try:
            console.print("[bold]Starting the mesh[/] (sandbox, policy, gateway as separate processes)…")
            sandbox = start_service("sandbox", ["sandbox", "--listen", "127.0.0.1:0"], run_dir)
            processes.append(sandbox)
            config_path = run_dir / "signalmesh.toml"
            config_path.write_text(
                DEMO_CONFIG.format(state_dir=run_dir / "state", token=SANDBOX_TOKEN, sandbox=sandbox.address)
            )
            policy = start_service("policy", ["policy", "--config", str(config_path)], run_dir)
            processes.append(policy)
            gateway = start_service(
                "gateway", ["gateway", "--config", str(config_path), "--policy", policy.address], run_dir
            )
            processes.append(gateway)
            key = (run_dir / "state" / "local-api-key").read_text().strip()
            console.print(
                f"  sandbox http://{sandbox.address} · policy {policy.address} · gateway {gateway.address}"
            )
            client = GatewayClient(gateway.address, key)
            code = _exercise(client, sandbox.address, console)
            _watch_the_signal(client, run_dir, console)
            return code or _switch_the_strategy(client, console)
        finally:
            for process in reversed(processes):
                process.stop()


def _exercise(client: GatewayClient, sandbox_address: str, console: Console) -> int:
    samples = sample_events(time.time())
    first, duplicate = samples[:-1], samples[-1]
    response = client.send_events([sample.event for sample in first])
    results = list(response.results)
    results.append(client.send_events([duplicate.event]).results[0])
    try:
        client.send_event(samples[4].event)
    except grpc.RpcError as error:
        unary_violations = bad_request_violations(error)
        console.print(
            f"  SendEvent(invalid) → {error.code().name} with {len(unary_violations)} field violations"
        )  # type: ignore[attr-defined]

    accepted = {
        result.event_id for result in results if result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    }
    statuses = _wait_for_delivery(client, accepted)
    table = Table(title="SignalMesh demo: every sample event, every destination")
    for column in ("#", "event", "sample", "destination", "decision", "reason", "outcome"):
        table.add_column(column)
    notes: list[str] = []
    for number, (sample, result) in enumerate(zip(samples, results, strict=True), start=1):
        if result.disposition == gateway_pb2.DISPOSITION_REJECTED:
            table.add_row(
                str(number), result.event_id, sample.label, "—", "REJECTED", "invalid", "nothing sent"
            )
            notes += [f"#{number} {item.field}: {item.description}" for item in result.violations]
            continue
        for decision in result.decisions:
            state = statuses.get((result.event_id, decision.destination))
            duplicate = decision.reason == policy_pb2.REASON_DUPLICATE
            outcome = (
                state_name(state.state)
                if state and not duplicate
                else "— (first copy stands)"
                if duplicate
                else "—"
            )
            if state and state.platform_response and state.state != gateway_pb2.DELIVERY_STATE_DELIVERED:
                notes.append(f"#{number} {decision.destination}: platform said {state.platform_response}")
            if decision.decision == policy_pb2.DECISION_SKIP and not duplicate:
                notes.append(f"#{number} {decision.destination}: {decision.detail}")
            table.add_row(
                str(number),
                result.event_id,
                sample.label,
                decision.destination,
                decision_name(decision.decision),
                reason_name(decision.reason),
                outcome,
            )
    console.print(table)
    for note in notes:
        console.print(f"  {note}")
    recorded = _sandbox_counts(sandbox_address)
    console.print(f"Sandbox recorded: {recorded}")
    undelivered = [
        key
        for key, status in statuses.items()
        if status.state != gateway_pb2.DELIVERY_STATE_DELIVERED
        and status.state != gateway_pb2.DELIVERY_STATE_SKIPPED
    ]
    return 1 if undelivered else 0


def _watch_the_signal(client: GatewayClient, run_dir: Path, console: Console) -> None:
    """The three layers compared (browser pixel, this mesh, a small CRM export), then the alert
    that comparison raises: what an operator would look at the next morning."""
    now = time.time()
    client.observe(
        [
            monitoring_pb2.Observation(event_id=event_id, event_name=name, event_time=timestamp(at))
            for event_id, name, at in demo_pixel_firings(now)
        ]
    )
    crm = run_dir / "crm.csv"
    crm.write_text(demo_crm_csv(now))
    records = load_crm(crm)
    console.print(
        f"\n[bold]Reconciliation[/] against the demo's CRM export ({crm.name}: {len(records.records)} orders)"
    )
    print_reconciliation(
        client, reconcile_request(records.records, [], now - 86400, now + 60), False, console
    )
    deadline = time.monotonic() + 15
    while not client.alerts() and time.monotonic() < deadline:
        time.sleep(0.2)  # the gateway evaluates its alert rules every second in the demo
    console.print("\n[bold]signalmesh alerts[/]")
    print_alerts(client, False, console)


def _switch_the_strategy(client: GatewayClient, console: Console) -> int:
    """Settings > Conversion: meta_strict to send_all, as `signalmesh strategy set` does it, and
    the organic purchase it skipped, sent again under a new id, now goes out."""
    console.print("\n[bold]signalmesh strategy set --destination meta_strict send_all[/]")
    overview = client.update_strategy("meta_strict", policy_pb2.STRATEGY_SEND_ALL)
    console.print(f"  {audit_line(overview.changes[0])}")
    organic = event_pb2.ConversionEvent()
    organic.CopyFrom(sample_events(time.time())[1].event)
    organic.event_id = "order-1002-again"
    organic.destinations[:] = ["meta_strict"]
    deadline = time.monotonic() + 10
    while _decision(client.check_event(organic)) != policy_pb2.DECISION_SEND:
        if time.monotonic() > deadline:
            console.print("  policy never decided with the new strategy")
            return 1
        time.sleep(0.1)  # every policy replica re-reads the setting within half a second
    [result] = client.send_events([organic]).results
    [decision] = result.decisions
    [status] = _wait_for_delivery(client, {organic.event_id}).values()
    console.print(
        f"  {organic.event_id} (the organic purchase again) → {decision.destination} "
        f"{decision_name(decision.decision)} {reason_name(decision.reason)} → {state_name(status.state)}"
    )
    return 0 if status.state == gateway_pb2.DELIVERY_STATE_DELIVERED else 1


def _decision(check: gateway_pb2.CheckEventResponse) -> int:
    return check.result.decisions[0].decision if check.result.decisions else 0


def _wait_for_delivery(
    client: GatewayClient, event_ids: set[str], timeout: float = 30.0
) -> dict[tuple[str, str], gateway_pb2.DestinationStatus]:
    deadline = time.monotonic() + timeout
    waiting = {gateway_pb2.DELIVERY_STATE_PENDING, gateway_pb2.DELIVERY_STATE_RETRYING}
    while True:
        statuses = {
            (event_id, item.destination): item
            for event_id in event_ids
            for item in client.status(event_id).destinations
        }
        if all(item.state not in waiting for item in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.1)


def _sandbox_counts(address: str) -> dict[str, int]:
    """Events each destination's platform recorded (after its own event-id dedup)."""
    counts = {}
    for destination, (platform, key) in SANDBOX_KEYS.items():
        query = urllib.parse.urlencode({"platform": platform, "destination": key})
        with urllib.request.urlopen(f"http://{address}/_sandbox/events?{query}", timeout=5) as answer:
            counts[destination] = len(json.load(answer)["events"])
    return counts
