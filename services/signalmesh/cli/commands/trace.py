"""`signalmesh trace EVENT_ID`: where to find one event's path in the trace viewer.

Every event has a trace of its own (a batch's events too), and its status keeps the trace id
per destination. This prints those ids and, with ``[telemetry] trace_url`` (or ``--trace-url``)
set, the link to open each one, e.g. in Jaeger's UI.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands, config_of
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, state_name
from signalmesh.config import TelemetryConfig
from signalmesh.config.monitoring import load_telemetry


def register(commands: Commands) -> None:
    sub = commands.add("trace", _trace, "each destination's trace id of one event, and its link")
    sub.add_argument("event_id")
    sub.add_argument(
        "--trace-url",
        help='the trace viewer\'s URL of one trace, with {trace_id} (default: [telemetry] trace_url), '
        'e.g. "http://localhost:16686/trace/{trace_id}"',
    )
    add_client_options(sub)


def _trace(args: argparse.Namespace) -> int:
    # --trace-url is checked as the config's key is, with the same message.
    telemetry = load_telemetry({"trace_url": args.trace_url}) if args.trace_url else config_of(args).telemetry
    return call_gateway(lambda: print_traces(gateway_client(args), args.event_id, telemetry, console))


def print_traces(client: GatewayClient, event_id: str, telemetry: TelemetryConfig, console: Console) -> int:
    response = client.status(event_id)
    table = Table(title=f"event {event_id}: traces")
    for column in ("destination", "event", "state", "trace id"):
        table.add_column(column)
    if telemetry.trace_url:
        table.add_column("open", overflow="fold")
    for item in response.destinations:
        row = [item.destination, item.event_name, state_name(item.state), item.trace_id or "—"]
        if telemetry.trace_url:
            row.append(telemetry.trace_link(item.trace_id) or "")
        table.add_row(*row)
    console.print(table)
    if telemetry.trace_url:
        console.print(
            "A trace is in the viewer only if it was sampled (OTEL_TRACES_SAMPLER on the gateway).",
            style="dim",
        )
    else:
        console.print(
            "Set [telemetry] trace_url (e.g. \"http://localhost:16686/trace/{trace_id}\") to print links.",
            style="dim",
            markup=False,
        )
    return 0
