"""`signalmesh report [--days 7] [--html FILE]`: the last days of the signal as people read it —
rich tables in the terminal, or one self-contained HTML page with charts (it opens offline)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.monitoring_calls import alert_records, rows_of
from signalmesh.cli.output import console
from signalmesh.gateway.monitoring_servicer import timestamp
from signalmesh.monitoring.history import DAILY, HOURLY
from signalmesh.monitoring.report_data import Report, build_report, history_since
from signalmesh.monitoring.report_html import render_html
from signalmesh.monitoring.report_terminal import render_terminal
from signalmesh.v1 import monitoring_pb2


def register(commands: Commands) -> None:
    sub = commands.add("report", _report, "the last days in tables, or as an HTML page with charts")
    sub.add_argument("--days", type=_days, default=7, help="UTC days ending today (default 7)")
    sub.add_argument("--html", type=Path, help="write a self-contained HTML page here instead")
    add_client_options(sub)


def _days(text: str) -> int:
    days = int(text)
    if not 1 <= days <= 90:
        raise argparse.ArgumentTypeError(f"--days: {days} is not between 1 and 90")
    return days


def _report(args: argparse.Namespace) -> int:
    return call_gateway(lambda: print_report(gateway_client(args), args.days, args.html, console))


def fetch_report(client: GatewayClient, days: int, now: float) -> Report:
    """Both resolutions of history from where the first day's baseline starts, the alerts and
    the latest reconciliation (none yet is fine: the report says so)."""
    since = history_since(days, now)
    rows = {
        resolution: rows_of(
            client.stats(
                monitoring_pb2.GetStatsRequest(
                    since=timestamp(since), until=timestamp(now), resolution=resolution
                )
            )
        )
        for resolution in (DAILY, HOURLY)
    }
    reconciliation: dict[str, Any] | None = None
    try:
        reconciliation = json.loads(client.latest_reconciliation().result_json)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
            raise
    return build_report(rows[DAILY], rows[HOURLY], alert_records(client.alerts()), reconciliation, days, now)


def print_report(client: GatewayClient, days: int, html: Path | None, console: Console) -> int:
    report = fetch_report(client, days, time.time())
    if html is None:
        render_terminal(report, console)
        return 0
    html.write_text(render_html(report), encoding="utf-8")
    console.print(f"report written to {html} (self-contained: open it in any browser, offline)")
    return 0
