"""`signalmesh stats [--since 7d] [--until T] [--destination D] [--event-name N] [--json]`: the
history the mesh keeps, summed per destination × event name over the range."""

from __future__ import annotations

import argparse
import json
import time

from rich.console import Console

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.monitoring_calls import point_in_time, rows_of
from signalmesh.cli.output import console
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring.history import DAILY, HOURLY, day_start
from signalmesh.monitoring.stats_table import render_stats_table, stats_to_json
from signalmesh.v1 import monitoring_pb2

# Past this range the daily roll-ups are read instead of every hourly bucket.
HOURLY_UP_TO_DAYS = 35


def register(commands: Commands) -> None:
    sub = commands.add("stats", _stats, "the mesh's own numbers over time, per destination and event")
    sub.add_argument(
        "--since", default="7d", help="a duration back from now (7d, 36h) or a date (default 7d)"
    )
    sub.add_argument("--until", default="", help="end of the range (default now)")
    sub.add_argument("--destination", default="", help="only this destination")
    sub.add_argument("--event-name", default="", help="only this event name")
    sub.add_argument(
        "--json", action="store_true", help="print one JSON object (lines per destination × event)"
    )
    add_client_options(sub)


def _stats(args: argparse.Namespace) -> int:
    now = time.time()
    since = point_in_time(args.since, now, "--since")
    until = point_in_time(args.until, now, "--until") if args.until else now
    return call_gateway(
        lambda: print_stats(
            gateway_client(args), since, until, args.destination, args.event_name, args.json, console
        )
    )


def ranges(since: float, until: float) -> list[tuple[float, float, str]]:
    """Hourly buckets for a range within the hourly retention; past it, the daily roll-ups of
    the days that ended and the hourly buckets of today."""
    if until - since <= HOURLY_UP_TO_DAYS * 86400:
        return [(since, until, HOURLY)]
    today = day_start(until)
    return [(since, today, DAILY), (today, until, HOURLY)]


def print_stats(
    client: GatewayClient,
    since: float,
    until: float,
    destination: str,
    event_name: str,
    as_json: bool,
    console: Console,
) -> int:
    rows = []
    for start, end, resolution in ranges(since, until):
        request = monitoring_pb2.GetStatsRequest(
            since=timestamp(start),
            until=timestamp(end),
            destination=destination,
            event_name=event_name,
            resolution=resolution,
        )
        rows += rows_of(client.stats(request))
    if as_json:
        console.print_json(json.dumps(stats_to_json(rows, since, until)))
        return 0
    if not rows:
        console.print("no history in this range: nothing was received or delivered")
        return 0
    console.print(render_stats_table(rows, since, until))
    return 0
