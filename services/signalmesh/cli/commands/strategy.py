"""`signalmesh strategy show|set|compare`: the conversion strategy every policy replica decides
with (Settings > Conversion), its audit trail, and the trade-off in the user's own numbers.
Changing it needs the admin scope; the change is recorded with the API client's name."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.commands.stats import ranges
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.monitoring_calls import point_in_time, rows_of
from signalmesh.cli.output import console
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
    actions = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="the setting in effect, its changes, what each mode means")
    change = actions.add_parser("set", help="change it for every policy replica (admin scope)")
    change.add_argument("mode", choices=sorted(STRATEGY_NAMES), help="the new strategy")
    change.add_argument("--destination", default="", help="only this destination (default: globally)")
    compare_parser = actions.add_parser("compare", help="what each mode sent or would have sent")
    compare_parser.add_argument(
        "--since", default="7d", help="a duration back from now (7d, 36h) or a date (default 7d)"
    )
    for action in (show, change, compare_parser):
        action.add_argument(
            "--config", type=Path, help="signalmesh.toml (default: built-in embedded settings)"
        )
        add_client_options(action)


def _strategy(args: argparse.Namespace) -> int:
    if args.action == "set":
        return call_gateway(lambda: set_strategy(gateway_client(args), args.destination, args.mode, console))
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
