"""`signalmesh demo` and `signalmesh up`: the embedded mesh as real processes on this machine.

The demo starts the sandbox, policy and gateway on free loopback ports with a throwaway state
directory, sends sample events that show each decision the product makes, waits for delivery,
prints one row per (event, destination), and stops everything.
"""

from __future__ import annotations

import json
import signal
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2
from rich.console import Console
from rich.table import Table

from signalmesh.client import GatewayClient, bad_request_violations
from signalmesh.config import SANDBOX_TOKEN, Config
from signalmesh.launcher import ServiceProcess, start_service
from signalmesh.reports import decision_name, reason_name, state_name
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

DEMO_CONFIG = """\
state_dir = "{state_dir}"

[gateway]
listen = "127.0.0.1:0"

[policy]
listen = "127.0.0.1:0"
default_strategy = "strict"

[dispatcher]
linger = "5ms"
poll_interval = "20ms"

# Two Meta pixels: one under the global strict strategy, one overridden to send_all.
[destinations.meta_strict]
connector = "meta"
pixel_id = "1111111111"
access_token = "{token}"
base_url = "http://{sandbox}"

[destinations.meta_send_all]
connector = "meta"
strategy = "send_all"
pixel_id = "2222222222"
access_token = "{token}"
base_url = "http://{sandbox}"

# TikTok and GA4 under strict: TikTok needs its click id (ttclid), GA4 its client id.
[destinations.tiktok]
connector = "tiktok"
pixel_code = "CDEMOTIKTOKPIXEL0001"
access_token = "{token}"
base_url = "http://{sandbox}"

[destinations.ga4]
connector = "ga4"
measurement_id = "G-DEMO0001"
api_secret = "{token}"
base_url = "http://{sandbox}"

# Every accepted conversion to the CRM, signed with HMAC-SHA256.
[destinations.crm]
connector = "webhook"
strategy = "send_all"
url = "http://{sandbox}/webhook/crm"
secret = "demo-signing-secret"

# The business's own rule: a Purchase is a paid order, never a failed payment.
[tracking_plan.Purchase]
required = ["order_id", "value", "currency"]
custom_properties = {{ payment_status = "succeeded" }}
"""
# destination → (sandbox platform, the destination's key in the sandbox's record)
SANDBOX_KEYS = {
    "meta_strict": ("meta", "1111111111"),
    "meta_send_all": ("meta", "2222222222"),
    "tiktok": ("tiktok", "CDEMOTIKTOKPIXEL0001"),
    "ga4": ("ga4", "G-DEMO0001"),
    "crm": ("webhook", "crm"),
}


@dataclass(frozen=True, slots=True)
class Sample:
    label: str
    event: event_pb2.ConversionEvent


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def sample_events(now: float) -> list[Sample]:
    """One event per behaviour worth seeing. Personal data here is fictitious."""
    browser = event_pb2.UserData(client_ip_address="203.0.113.7", client_user_agent="Mozilla/5.0 (demo)")

    def event(event_id: str, name: str, minutes_ago: float, **fields: object) -> event_pb2.ConversionEvent:
        base = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name=name,
            event_time=_timestamp(now - minutes_ago * 60),
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example.com/checkout/thanks",
        )
        base.MergeFrom(event_pb2.ConversionEvent(**fields))  # type: ignore[arg-type]
        if name == "Purchase" and "payment_status" not in base.custom_properties.fields:
            base.custom_properties.update({"payment_status": "succeeded"})
        return base

    user = event_pb2.UserData(emails=["Jane.Doe@Example.com"], phones=["+1 (650) 555-1212"], country="US")
    user.MergeFrom(browser)
    clicked = event(
        "order-1001",
        "Purchase",
        3,
        user_data=user,
        click_ids=event_pb2.ClickIds(
            fbclid="IwAR2demoClickId",
            click_time=_timestamp(now - 3600),
            ttclid="E.C.P.demoTikTokClick",
            ga_client_id="1234567890.1700000000",
        ),
        value="129.90",
        currency="USD",
        order_id="1001",
    )
    organic_user = event_pb2.UserData(emails=["sam@example.org"], first_name="Sam", last_name="Lee")
    organic_user.MergeFrom(browser)
    organic = event(
        "order-1002",
        "Purchase",
        2,
        user_data=organic_user,
        value="45.00",
        currency="EUR",
        order_id="1002",
        click_ids=event_pb2.ClickIds(ga_client_id="987654321.1700000000"),
    )
    weak_user = event_pb2.UserData(city="Paris", country="FR")
    weak_user.MergeFrom(event_pb2.UserData(client_user_agent="Mozilla/5.0 (demo)"))
    weak = event("lead-2001", "Lead", 5, user_data=weak_user)
    stale = event(
        "order-0999",
        "Purchase",
        10 * 24 * 60,
        user_data=user,
        value="10.00",
        currency="USD",
        order_id="0999",
        click_ids=event_pb2.ClickIds(fbc="fb.1.1554763741205.AbCdEf"),
    )
    invalid = event(
        "order-1003",
        "Purchase",
        1,
        user_data=event_pb2.UserData(emails=["not-an-email"]),
        value="$29.99",
        order_id="1003",
    )
    failed = event(
        "order-1004",
        "Purchase",
        1,
        user_data=user,
        value="59.00",
        currency="USD",
        order_id="1004",
        click_ids=event_pb2.ClickIds(fbc="fb.1.1554763741205.AbCdEf"),
    )
    failed.custom_properties.update({"payment_status": "failed"})
    return [
        Sample("purchase after an ad click", clicked),
        Sample("organic purchase (no click id)", organic),
        Sample("lead with only city + country", weak),
        Sample("purchase 10 days old", stale),
        Sample("invalid purchase", invalid),
        Sample("purchase fired on a failed payment", failed),
        Sample("the first purchase again (duplicate)", clicked),
    ]


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
            return _exercise(GatewayClient(gateway.address, key), sandbox.address, console)
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


def run_mesh_until_interrupted(config: Config, config_path: Path | None, *, with_sandbox: bool) -> int:
    """`signalmesh up`: policy, gateway (and the sandbox) until Ctrl-C or SIGTERM."""
    run_dir = config.state_dir / "run"
    config_args = ["--config", str(config_path)] if config_path else []
    processes: list[ServiceProcess] = []
    console = Console()
    try:
        if with_sandbox:
            processes.append(start_service("sandbox", ["sandbox", *config_args], run_dir))
        policy = start_service("policy", ["policy", *config_args], run_dir)
        processes.append(policy)
        gateway = start_service("gateway", ["gateway", *config_args, "--policy", policy.address], run_dir)
        processes.append(gateway)
        for process in processes:
            console.print(f"{process.name:8} {process.address:22} log: {process.log_path}")
        key_file = config.state_dir / "local-api-key"
        if not config.clients and key_file.exists():
            console.print(
                f"local API key: {key_file.read_text().strip()}  (send it as `authorization: Bearer <key>`)"
            )
        console.print("Ctrl-C stops the mesh.")
        stopped = False

        def stop(*_: object) -> None:
            nonlocal stopped
            stopped = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopped and all(process.process.poll() is None for process in processes):
            time.sleep(0.2)
        return 0 if stopped else 1
    finally:
        for process in reversed(processes):
            process.stop()
