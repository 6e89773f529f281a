"""`signalmesh strategy show|set|compare`: the conversion strategy every policy replica decides
with (Settings > Conversion), its audit trail, and the trade-off in the user's own numbers.
Changing it needs the admin scope; the change is recorded with the API client's name."""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.commands.stats import ranges
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.monitoring_calls import point_in_time, rows_of
from signalmesh.cli.output import console, errors
from signalmesh.cli.strategy_output import (
    audit_line,
    print_comparison,
    print_modes,
    print_overview,
    strategy_name,
)
from signalmesh.connector import STRATEGY_NAMES
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring.strategy_compare import compare_strategies
from signalmesh.v1 import monitoring_pb2


def register(commands: Commands) -> None:
    sub = commands.add(
        "strategy",
        _strategy,
        "show, set (admin scope) or compare the conversion strategy: strict or send_all",
    )
    sub.add_argument("action", choices=["show", "set", "compare"])
    sub.add_argument("mode", nargs="?", choices=sorted(STRATEGY_NAMES), help="set: the new strategy")
    sub.add_argument("--destination", default="", help="set: only this destination (default: globally)")
    sub.add_argument("--since", default="7d", help="compare: a duration back from now or a date (7d)")
    add_client_options(sub)


def _strategy(args: argparse.Namespace) -> int:
    if args.action == "set":
        if args.mode is None:
            errors.print("strategy set: name the strategy, strict or send_all")
            return 2
        return call_gateway(lambda: set_strategy(gateway_client(args), args.destination, args.mode, console))
    if args.mode is not None or (args.destination and args.action != "set"):
        errors.print(f"strategy {args.action}: takes no strategy or --destination (those are for set)")
        return 2
    if args.action == "show":
        return call_gateway(lambda: show_strategy(gateway_client(args), console))
    since = point_in_time(args.since, time.time(), "--since")
    return call_gateway(lambda: compare(gateway_client(args), since, args.since, console))


def show_strategy(client: GatewayClient, console: Console) -> int:
    print_overview(client.strategy(), console)
    return 0


def set_strategy(client: GatewayClient, destination: str, strategy: str, console: Console) -> int:
    overview = client.update_strategy(destination, STRATEGY_NAMES[strategy])
    console.print(audit_line(overview.changes[0]))
    console.print("every policy replica decides with it within a second")
    return 0


def compare(client: GatewayClient, since: float, since_text: str, console: Console) -> int:
    now = time.time()
    rows = []
    for start, end, resolution in ranges(since, now):
        request = monitoring_pb2.GetStatsRequest(
            since=timestamp(start), until=timestamp(end), resolution=resolution
        )
        rows += rows_of(client.stats(request))
    overview = client.strategy()
    in_effect = {item.destination: strategy_name(item.strategy) for item in overview.destinations}
    comparisons = compare_strategies(rows)
    if not comparisons:
        console.print(
            f"no live events counted since {since_text}: the comparison comes from the history, "
            "which is off with [stats] enabled = false and empty before the first event"
        )
        return 0
    print_comparison(comparisons, in_effect, since_text, console)
    print_modes({item.connector for item in overview.destinations}, console)
    return 0
