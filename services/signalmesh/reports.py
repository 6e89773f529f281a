"""What the CLI prints: send summaries, status explanations, dry-run previews (rich tables)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from google.protobuf import json_format
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from signalmesh.client import GatewayClient, read_events
from signalmesh.v1 import gateway_pb2, policy_pb2


def reason_name(reason: int) -> str:
    return policy_pb2.Reason.Name(reason).removeprefix("REASON_").lower()


def decision_name(decision: int) -> str:
    return policy_pb2.Decision.Name(decision).removeprefix("DECISION_")


def state_name(state: int) -> str:
    return gateway_pb2.DeliveryState.Name(state).removeprefix("DELIVERY_STATE_").lower()


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


def print_status(client: GatewayClient, event_id: str, console: Console) -> int:
    response = client.status(event_id)
    table = Table(title=f"event {event_id}")
    for column in (
        "destination",
        "event",
        "decision",
        "reason",
        "state",
        "attempts",
        "platform response",
        "trace id",
    ):
        table.add_column(column)
    for item in response.destinations:
        table.add_row(
            item.destination,
            item.event_name,
            decision_name(item.decision),
            reason_name(item.reason) if item.decision == policy_pb2.DECISION_SEND else item.detail,
            state_name(item.state),
            str(item.attempts),
            item.platform_response,
            item.trace_id,
        )
    console.print(table)
    return 0


def check_file(client: GatewayClient, path: Path, as_json: bool, console: Console) -> int:
    """Dry-run every event of ``path``; exit 1 if any would be rejected."""
    worst = 0
    for number, event in enumerate(read_events(path), start=1):
        response = client.check_event(event)
        if as_json:
            console.print_json(json_format.MessageToJson(response))
        else:
            print_check(response, event.event_id or f"line {number}", console)
        if response.result.disposition == gateway_pb2.DISPOSITION_REJECTED:
            worst = 1
    return worst


def print_check(response: gateway_pb2.CheckEventResponse, label: str, console: Console) -> None:
    result = response.result
    verdict = (
        "would be accepted" if result.disposition == gateway_pb2.DISPOSITION_ACCEPTED else "would be REJECTED"
    )
    console.rule(f"{label}: {verdict}")
    for kind, items in (("error", result.violations), ("warning", result.warnings)):
        for item in items:
            console.print(f"  {kind}: [bold]{item.field}[/] — {item.description}")
    for preview in response.previews:
        reason = reason_name(preview.reason)
        detail = f" · {preview.detail}" if preview.detail and preview.detail != reason else ""
        console.print(
            f"  → {preview.destination} ({preview.connector}): "
            f"{decision_name(preview.decision)} · {reason}{detail}"
        )
        console.print(f"    match quality {preview.match_quality:.1f}/10")
        for advice in preview.advice[:3]:
            console.print(f"      {advice.text}")
        if preview.decision == policy_pb2.DECISION_SEND:
            console.print(f"    POST {preview.url}")
            console.print_json(preview.payload_json)


# A dead-letter listing the CLI fetches at once; more than this and the operator narrows it down.
DEAD_LETTER_PAGE = 10_000
REPLAY_CHUNK = 200


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
    """Replay the given entries, or every dead letter matching the filters, with a progress bar.

    The replayed entries keep their original event id, so a platform that did receive an
    earlier attempt deduplicates it."""
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
