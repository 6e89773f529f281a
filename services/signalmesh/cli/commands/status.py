"""`signalmesh status EVENT_ID`: what happened to one event at each destination, and why."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, decision_name, reason_name, state_name


def register(commands: Commands) -> None:
    sub = commands.add("status", _status, "explain one event per destination")
    sub.add_argument("event_id")
    add_client_options(sub)


def _status(args: argparse.Namespace) -> int:
    return call_gateway(lambda: print_status(gateway_client(args), args.event_id, console))


def print_status(client: GatewayClient, event_id: str, console: Console) -> int:
    response = client.status(event_id)
    table = Table(title=f"event {event_id}")
    for column in (
        "destination",
        "event",
        "decision",
        "reason",
        "state",
        "attempts",
        "platform response",
        "trace id",
    ):
        table.add_column(column)
    for item in response.destinations:
        table.add_row(
            item.destination,
            item.event_name,
            decision_name(item.decision),
            # A SKIP says why; a SEND says which path made it eligible (Google Ads: click or hashed).
            item.detail or reason_name(item.reason),
            state_name(item.state),
            str(item.attempts),
            item.platform_response,
            item.trace_id,
        )
    console.print(table)
    return 0
