"""`signalmesh send FILE`: send ConversionEvents from a file in batches, then a summary per
(destination, decision, reason) and every rejected field. Exit 1 if any event was rejected."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from signalmesh.cli.client import GatewayClient, read_events
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, decision_name, reason_name
from signalmesh.v1 import gateway_pb2


def register(commands: Commands) -> None:
    sub = commands.add("send", _send, "send ConversionEvents from a file (proto3 JSON, one per line)")
    sub.add_argument("file", type=Path)
    add_client_options(sub)
    sub.add_argument("--batch-size", type=int, default=500)


def _send(args: argparse.Namespace) -> int:
    return call_gateway(lambda: send_file(gateway_client(args), args.file, args.batch_size, console))


def send_file(client: GatewayClient, path: Path, batch_size: int, console: Console) -> int:
    """Send every event of ``path`` in batches; print a summary. Exit 1 if any was rejected."""
    events = list(read_events(path))
    decisions: Counter[tuple[str, str, str]] = Counter()
    rejected: list[tuple[str, gateway_pb2.FieldViolation]] = []
    accepted = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"sending {path.name}", total=len(events))

        def waiting(reason: str, seconds: float) -> None:
            progress.update(task, description=f"{reason}: waiting {seconds:.1f} s before sending again")

        for start in range(0, len(events), batch_size):
            batch = events[start : start + batch_size]
            response = client.send_events_patiently(batch, on_wait=waiting)
            progress.update(task, description=f"sending {path.name}")
            accepted += response.accepted
            for result in response.results:
                for violation in result.violations:
                    rejected.append((result.event_id or f"#{start + result.index}", violation))
                for decision in result.decisions:
                    decisions[
                        (decision.destination, decision_name(decision.decision), reason_name(decision.reason))
                    ] += 1
            progress.advance(task, len(batch))
    summary = Table(
        title=f"{path.name}: {accepted} accepted, {len(events) - accepted} rejected of {len(events)}"
    )
    for column in ("destination", "decision", "reason", "events"):
        summary.add_column(column)
    for (destination, decision, reason), count in sorted(decisions.items()):
        summary.add_row(destination, decision, reason, str(count))
    console.print(summary)
    if rejected:
        table = Table(title="Rejected events")
        for column in ("event", "field", "problem"):
            table.add_column(column)
        for event_id, violation in rejected:
            table.add_row(event_id, violation.field, violation.description)
        console.print(table)
    return 1 if rejected else 0
