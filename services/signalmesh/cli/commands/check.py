"""`signalmesh check FILE`: a dry run of every event: validation, each destination's decision,
match quality and the exact payload. Nothing is sent. Exit 1 if any would be rejected."""

from __future__ import annotations

import argparse
from pathlib import Path

from google.protobuf import json_format
from rich.console import Console

from signalmesh.cli.client import GatewayClient, read_events
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, decision_name, reason_name
from signalmesh.monitoring.quality_bands import against_target
from signalmesh.v1 import gateway_pb2, policy_pb2


def register(commands: Commands) -> None:
    sub = commands.add("check", _check, "dry run: validation, decisions and exact payloads; nothing is sent")
    sub.add_argument("file", type=Path)
    add_client_options(sub)
    sub.add_argument("--json", action="store_true", help="print the raw CheckEvent result as JSON")


def _check(args: argparse.Namespace) -> int:
    return call_gateway(lambda: check_file(gateway_client(args), args.file, args.json, console))


def check_file(client: GatewayClient, path: Path, as_json: bool, console: Console) -> int:
    """Dry-run every event of ``path``; exit 1 if any would be rejected."""
    worst = 0
    for number, event in enumerate(read_events(path), start=1):
        response = client.check_event(event)
        if as_json:
            console.print_json(json_format.MessageToJson(response))
        else:
            print_check(response, event.event_id or f"line {number}", console)
        if response.result.disposition == gateway_pb2.DISPOSITION_REJECTED:
            worst = 1
    return worst


def print_check(response: gateway_pb2.CheckEventResponse, label: str, console: Console) -> None:
    result = response.result
    verdict = (
        "would be accepted" if result.disposition == gateway_pb2.DISPOSITION_ACCEPTED else "would be REJECTED"
    )
    console.rule(f"{label}: {verdict}")
    for kind, items in (("error", result.violations), ("warning", result.warnings)):
        for item in items:
            console.print(f"  {kind}: [bold]{item.field}[/] — {item.description}")
    for preview in response.previews:
        reason = reason_name(preview.reason)
        detail = f" · {preview.detail}" if preview.detail and preview.detail != reason else ""
        console.print(
            f"  → {preview.destination} ({preview.connector}): "
            f"{decision_name(preview.decision)} · {reason}{detail}"
        )
        # The low warning (against [quality] warn_below) is the gateway's, among the warnings above.
        console.print(
            f"    match quality {preview.match_quality:.1f}/10 · {against_target(preview.match_quality)}"
        )
        for advice in preview.advice[:3]:
            console.print(f"      {advice.text}")
        if preview.decision == policy_pb2.DECISION_SEND:
            console.print(f"    POST {preview.url}")
            console.print_json(preview.payload_json)
