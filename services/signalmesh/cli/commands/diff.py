"""`signalmesh diff EVENT_A EVENT_B [--destination D]`: put the payload that worked beside the one
that failed. Loads both events' kept exchanges (GetEventStatus with their payloads) and prints
``monitoring.payload_diff``: the requests' structural differences and the answers' differences.

Exit code 0 when the comparison was shown (whether or not they differ); 1 when there is nothing
to compare (an unknown event, or no destination where both were sent)."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, errors, state_name
from signalmesh.monitoring.payload_diff import Difference, PayloadDiff, Side, diff_payloads
from signalmesh.v1 import gateway_pb2


def register(commands: Commands) -> None:
    sub = commands.add("diff", _diff, "compare two events' payloads and the platforms' answers to them")
    sub.add_argument("event_a", help="e.g. an event that was delivered")
    sub.add_argument("event_b", help="e.g. an event the platform refused")
    sub.add_argument(
        "--destination", default="", help="only this destination (default: every one both reached)"
    )
    add_client_options(sub)


def _diff(args: argparse.Namespace) -> int:
    return call_gateway(
        lambda: print_diff(gateway_client(args), args.event_a, args.event_b, args.destination, console)
    )


def sent_by_destination(response: gateway_pb2.GetEventStatusResponse) -> dict[str, Side]:
    """Each destination the event was sent to, as a diff side (its first event name there)."""
    sides: dict[str, Side] = {}
    for item in response.destinations:
        if item.HasField("payload") and item.destination not in sides:
            kept = item.payload
            sides[item.destination] = Side(
                event_id=response.event_id,
                request_body=kept.request_body,
                response_body=kept.response_body,
                response_status=kept.response_status,
                state=state_name(item.state),
                platform_response=item.platform_response,
            )
    return sides


def print_diff(client: GatewayClient, event_a: str, event_b: str, destination: str, console: Console) -> int:
    sent_a = sent_by_destination(client.status(event_a, include_payload=True))
    sent_b = sent_by_destination(client.status(event_b, include_payload=True))
    names = [name for name in sent_a if name in sent_b and (not destination or name == destination)]
    if not names:
        where = f"to {destination}" if destination else "to one destination"
        errors.print(
            f"nothing to compare: {event_a} and {event_b} were not both sent {where} "
            f"({event_a}: {', '.join(sent_a) or 'none'}; {event_b}: {', '.join(sent_b) or 'none'})"
        )
        return 1
    for name in names:
        a, b = sent_a[name], sent_b[name]
        console.rule(f"{name}: A {event_a} ({a.state}) · B {event_b} ({b.state})")
        print_payload_diff(diff_payloads(a, b), console)
    return 0


def print_payload_diff(found: PayloadDiff, console: Console) -> None:
    for note in found.notes:
        console.print(f"note: {note}")
    if found.same:
        console.print("same structure, same answer")
        return
    print_differences("request", found.request, "the requests have the same structure", console)
    print_differences("answer", found.answer, "the answers are the same", console)


def print_differences(title: str, differences: list[Difference], same: str, console: Console) -> None:
    if not differences:
        console.print(f"{title}: {same}")
        return
    table = Table(title=title, title_justify="left")
    for column in ("path", "difference", "A", "B"):
        table.add_column(column, overflow="fold")
    for item in differences:
        # Text, not markup: a value like "[cut at 16 kB…]" is not a style tag.
        table.add_row(*(Text(cell) for cell in (item.path, item.kind.value, item.a, item.b)))
    console.print(table)
