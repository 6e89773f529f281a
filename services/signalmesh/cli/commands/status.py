"""`signalmesh status EVENT_ID [--payload]`: what happened to one event at each destination, and
why; with ``--payload``, the body each platform was sent and its own answer."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, decision_name, reason_name, state_name
from signalmesh.monitoring.quality_bands import status_text
from signalmesh.v1 import gateway_pb2


def register(commands: Commands) -> None:
    sub = commands.add("status", _status, "explain one event per destination")
    sub.add_argument("event_id")
    sub.add_argument(
        "--payload",
        action="store_true",
        help="also print the body sent to each platform and its answer (hashed data, secrets masked)",
    )
    add_client_options(sub)


def _status(args: argparse.Namespace) -> int:
    return call_gateway(
        lambda: print_status(gateway_client(args), args.event_id, console, payload=args.payload)
    )


def print_status(client: GatewayClient, event_id: str, console: Console, *, payload: bool = False) -> int:
    response = client.status(event_id, include_payload=payload)
    table = Table(title=f"event {event_id}")
    for column in STATUS_COLUMNS:
        # The score and its band read as one phrase; other cells may wrap.
        table.add_column(column, no_wrap=column == "match quality")
    for item in response.destinations:
        table.add_row(*status_row(item))
    console.print(table)
    if payload:
        for item in response.destinations:
            print_payload(item, console)
    return 0


STATUS_COLUMNS = (
    "destination",
    "event",
    "decision",
    "reason",
    "state",
    "attempts",
    "match quality",
    "platform response",
    "trace id",
)


def status_row(item: gateway_pb2.DestinationStatus) -> tuple[str, ...]:
    """One destination's row, in ``STATUS_COLUMNS`` order; the score in the practice's band."""
    return (
        item.destination,
        item.event_name,
        decision_name(item.decision),
        # A SKIP says why; a SEND says which path made it eligible (Google Ads: click or hashed).
        item.detail or reason_name(item.reason),
        state_name(item.state),
        str(item.attempts),
        status_text(item.match_quality),
        item.platform_response,
        item.trace_id,
    )


def print_payload(item: gateway_pb2.DestinationStatus, console: Console) -> None:
    """The kept exchange of one destination: the request body and the answer, JSON indented."""
    console.rule(f"{item.destination} · {item.event_name}")
    if not item.HasField("payload"):
        console.print("nothing sent yet (skipped, or not attempted)")
        return
    kept = item.payload
    console.print(f"request {request_note(kept)}:")
    console.print(pretty(kept.request_body), markup=False, soft_wrap=True)
    status = (
        f"HTTP {kept.response_status}"
        if kept.response_status
        else "no answer (timeout or connection failure)"
    )
    console.print(f"answer: {status}")
    if kept.response_body:
        console.print(pretty(kept.response_body), markup=False, soft_wrap=True)


def request_note(kept: gateway_pb2.DeliveryPayload) -> str:
    if kept.request_events <= 1:
        return "body as sent"
    return (
        f"this event's part of a request of {kept.request_events} events "
        f"(position {kept.request_index} in it)"
    )


def pretty(body: str) -> str:
    """JSON indented for reading; anything else (a body cut at the bound) as it is."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
