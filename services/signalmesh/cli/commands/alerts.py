"""`signalmesh alerts [--json]`: the alerts firing now and those resolved recently, each with the
figure, baseline, threshold and the command to investigate."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.monitoring_calls import alert_records, details_of
from signalmesh.cli.output import console


def register(commands: Commands) -> None:
    sub = commands.add("alerts", _alerts, "list firing and recently resolved alerts")
    sub.add_argument("--json", action="store_true", help="print the alerts as one JSON array")
    add_client_options(sub)


def _alerts(args: argparse.Namespace) -> int:
    return call_gateway(lambda: print_alerts(gateway_client(args), args.json, console))


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if epoch else ""


def print_alerts(client: GatewayClient, as_json: bool, console: Console) -> int:
    records = alert_records(client.alerts())
    if as_json:
        console.print_json(
            json.dumps([{**asdict(record), "details": details_of(record)} for record in records])
        )
        return 0
    if not records:
        console.print("no alerts: every rule is within its threshold")
        return 0
    table = Table(title="alerts")
    for column in ("state", "severity", "rule", "destination", "since", "resolved", "what", "investigate"):
        table.add_column(column, overflow="fold")
    for record in records:
        details = details_of(record)
        style = "bold red" if record.state == "firing" and record.severity == "critical" else ""
        table.add_row(
            record.state,
            record.severity,
            record.rule,
            record.destination or "—",
            _when(record.fired_at),
            _when(record.resolved_at),
            str(details.get("message", "")),
            str(details.get("command", "")),
            style=style,
        )
    console.print(table)
    return 0
