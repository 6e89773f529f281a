"""`signalmesh dlq list|replay`: the dead letters, and sending them again (replay needs the
admin scope). Replayed entries keep their event id, so a platform that did receive an earlier
attempt deduplicates it."""

from __future__ import annotations

import argparse

from google.protobuf import json_format
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from signalmesh.cli.client import GatewayClient
from signalmesh.cli.command import Commands
from signalmesh.cli.gateway_calls import add_client_options, call_gateway, gateway_client
from signalmesh.cli.output import console, errors, state_name

# A dead-letter listing the CLI fetches at once; more than this and the operator narrows it down.
DEAD_LETTER_PAGE = 10_000
REPLAY_CHUNK = 200


def register(commands: Commands) -> None:
    sub = commands.add("dlq", _dlq, "list or replay dead letters (replay needs the admin scope)")
    sub.add_argument("action", choices=["list", "replay"])
    sub.add_argument("--destination", default="", help="only this destination")
    sub.add_argument("--reason", default="", help="only reasons containing this text, e.g. expired")
    sub.add_argument("--limit", type=int, default=100, help="most dead letters to list (default 100)")
    sub.add_argument(
        "--id", action="append", default=[], dest="ids", help="replay this entry id (repeatable)"
    )
    sub.add_argument("--all", action="store_true", help="replay every dead letter matching the filters")
    sub.add_argument(
        "--json", action="store_true", help="list: print each dead letter as JSON, with its last request"
    )
    add_client_options(sub)


def _dlq(args: argparse.Namespace) -> int:
    if args.action == "list":
        return call_gateway(
            lambda: print_dead_letters(
                gateway_client(args), args.destination, args.reason, args.limit, args.json, console
            )
        )
    if not args.ids and not args.all:
        errors.print(
            "dlq replay: name entries with --id ENTRY (repeatable) or pass --all (with optional filters)"
        )
        return 2
    return call_gateway(
        lambda: replay_dead_letters(gateway_client(args), args.ids, args.destination, args.reason, console)
    )


def print_dead_letters(
    client: GatewayClient, destination: str, reason: str, limit: int, as_json: bool, console: Console
) -> int:
    letters = client.dead_letters(destination, reason, limit)
    if as_json:
        for letter in letters:
            console.print_json(json_format.MessageToJson(letter))
        return 0
    table = Table(
        title=f"{len(letters)} dead letter(s)" + (f" (first {limit})" if len(letters) == limit else "")
    )
    for column in ("entry", "event", "destination", "event name", "state", "attempts", "since", "reason"):
        table.add_column(column)
    for letter in letters:
        dead_at = (
            letter.dead_at.ToDatetime().strftime("%Y-%m-%d %H:%M:%S") if letter.HasField("dead_at") else ""
        )
        table.add_row(
            letter.entry_id,
            letter.event_id,
            letter.destination,
            letter.event_name,
            state_name(letter.state),
            str(letter.attempts),
            dead_at,
            letter.reason,
        )
    console.print(table)
    return 0


def replay_dead_letters(
    client: GatewayClient, entry_ids: list[str], destination: str, reason: str, console: Console
) -> int:
    """Replay the given entries, or every dead letter matching the filters, with a progress bar."""
    if not entry_ids:
        entry_ids = [letter.entry_id for letter in client.dead_letters(destination, reason, DEAD_LETTER_PAGE)]
    replayed = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("replaying dead letters", total=len(entry_ids))
        for start in range(0, len(entry_ids), REPLAY_CHUNK):
            chunk = entry_ids[start : start + REPLAY_CHUNK]
            replayed += client.replay_dead_letters(chunk)
            progress.advance(task, len(chunk))
    skipped = len(entry_ids) - replayed
    console.print(
        f"replayed {replayed} dead letter(s)"
        + (f"; {skipped} were no longer dead letters" if skipped else "")
    )
    return 0 if skipped == 0 else 1
