"""`signalmesh reconcile --crm FILE [--browser FILE] [--since DATE] [--until DATE] [--json]`: the
browser pixel, the server feed and the CRM compared per day × event name, against the practice's
tolerances, with the ids each layer is missing.

The files are read and checked here, so a bad row is named by line and column before anything
is sent; the gateway adds the layers it keeps (deliveries, browser observations), compares, and
keeps the result as the latest reconciliation (the report draws it; a WARN raises an alert).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.monitoring_calls import point_in_time
from signalmesh.cli.output import console, errors
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring.reconciliation import CrmRecord
from signalmesh.monitoring.reconciliation_inputs import RowProblem, load_browser, load_crm
from signalmesh.monitoring.reconciliation_json import from_json
from signalmesh.monitoring.reconciliation_table import render_reconciliation_table
from signalmesh.store.base import Observation
from signalmesh.v1 import monitoring_pb2

SHOWN_PROBLEMS = 20


def register(commands: Commands) -> None:
    sub = commands.add("reconcile", _reconcile, "compare the browser, server and CRM layers")
    sub.add_argument("--crm", type=Path, required=True, help="the CRM's records, CSV or JSON lines")
    sub.add_argument(
        "--browser", type=Path, help="pixel firings, CSV or JSON lines (added to ObserveEvents')"
    )
    sub.add_argument(
        "--since", default="7d", help="start: a date, an ISO time or a duration back (default 7d)"
    )
    sub.add_argument("--until", default="", help="end (default now)")
    sub.add_argument("--json", action="store_true", help="print the documented JSON object")
    add_client_options(sub)


def _reconcile(args: argparse.Namespace) -> int:
    crm = load_crm(args.crm)
    browser = load_browser(args.browser) if args.browser else None
    problems = crm.problems + (browser.problems if browser else [])
    if problems:
        print_problems(problems, errors)
        return 2
    now = time.time()
    since = point_in_time(args.since, now, "--since")
    until = point_in_time(args.until, now, "--until") if args.until else now
    request = reconcile_request(crm.records, browser.records if browser else [], since, until)
    return call_gateway(lambda: print_reconciliation(gateway_client(args), request, args.json, console))


def print_problems(problems: Sequence[RowProblem], console: Console) -> None:
    """Nothing is compared over part of a file: every problem is shown (the first 20) instead."""
    console.print(f"[bold red]{len(problems)} row(s) cannot be read; nothing was compared:[/]")
    for problem in problems[:SHOWN_PROBLEMS]:
        console.print(f"  {problem}")
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"  … and {len(problems) - SHOWN_PROBLEMS} more")


def reconcile_request(
    crm: Sequence[CrmRecord], browser: Sequence[Observation], since: float, until: float
) -> monitoring_pb2.ReconcileRequest:
    return monitoring_pb2.ReconcileRequest(
        crm=[
            monitoring_pb2.CrmRecord(
                event_id=record.event_id,
                order_id=record.order_id,
                event_name=record.event_name,
                event_time=timestamp(record.event_time),
                value="" if record.value is None else str(record.value),
                currency=record.currency,
            )
            for record in crm
        ],
        browser=[
            monitoring_pb2.Observation(
                event_id=item.event_id,
                event_name=item.event_name,
                event_time=timestamp(item.event_time),
                destination=item.destination,
            )
            for item in browser
        ],
        since=timestamp(since),
        until=timestamp(until),
    )


def print_reconciliation(
    client: GatewayClient, request: monitoring_pb2.ReconcileRequest, as_json: bool, console: Console
) -> int:
    document = json.loads(client.reconcile(request).result_json)
    if as_json:
        console.print_json(json.dumps(document))
    else:
        console.print(render_reconciliation_table(from_json(document)))
    return 0
