"""The synchronous gateway client the CLI uses: auth metadata, deadlines, event files.

Synchronous on purpose: a command-line tool has one thing to do at a time, and grpcio-testing
(which does not support grpc.aio) can test it without a network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc
from google.protobuf import json_format

from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc


class EventFileError(ValueError):
    """A line of an events file is not a ConversionEvent; the message names the line."""


def read_events(path: Path) -> Iterator[event_pb2.ConversionEvent]:
    """ConversionEvents in the standard proto3 JSON mapping: one per line, or one JSON document."""
    text = path.read_text()
    stripped = text.strip()
    if stripped.startswith("{") and "\n{" not in stripped:
        yield _parse(stripped, path, 1)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield _parse(line, path, number)


def _parse(text: str, path: Path, line: int) -> event_pb2.ConversionEvent:
    try:
        return json_format.Parse(text, event_pb2.ConversionEvent())
    except (json_format.ParseError, json.JSONDecodeError) as error:
        raise EventFileError(f"{path}:{line}: not a ConversionEvent in proto3 JSON: {error}") from None


class GatewayClient:
    def __init__(
        self, address: str, api_key: str, timeout_seconds: float = 30.0, channel: grpc.Channel | None = None
    ) -> None:
        self._channel = channel or grpc.insecure_channel(address)
        self._stub = gateway_pb2_grpc.GatewayStub(self._channel)
        self._metadata = (("authorization", f"Bearer {api_key}"),)
        self._timeout = timeout_seconds

    def send_events(self, events: Sequence[event_pb2.ConversionEvent]) -> gateway_pb2.SendEventsResponse:
        return self._stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=events), metadata=self._metadata, timeout=self._timeout
        )

    def send_event(self, event: event_pb2.ConversionEvent) -> gateway_pb2.SendEventResponse:
        return self._stub.SendEvent(
            gateway_pb2.SendEventRequest(event=event), metadata=self._metadata, timeout=self._timeout
        )

    def check_event(self, event: event_pb2.ConversionEvent) -> gateway_pb2.CheckEventResponse:
        return self._stub.CheckEvent(
            gateway_pb2.CheckEventRequest(event=event), metadata=self._metadata, timeout=self._timeout
        )

    def status(self, event_id: str) -> gateway_pb2.GetEventStatusResponse:
        return self._stub.GetEventStatus(
            gateway_pb2.GetEventStatusRequest(event_id=event_id),
            metadata=self._metadata,
            timeout=self._timeout,
        )

    def dead_letters(
        self, destination: str = "", reason_contains: str = "", limit: int = 100
    ) -> list[gateway_pb2.DeadLetter]:
        request = gateway_pb2.ListDeadLettersRequest(
            destination=destination, reason_contains=reason_contains, limit=limit
        )
        return list(
            self._stub.ListDeadLetters(request, metadata=self._metadata, timeout=self._timeout).dead_letters
        )

    def replay_dead_letters(self, entry_ids: Sequence[str]) -> int:
        """Put these dead letters back in the outbox; how many were still dead and now replayed."""
        request = gateway_pb2.ReplayDeadLettersRequest(entry_ids=entry_ids)
        return int(
            self._stub.ReplayDeadLetters(request, metadata=self._metadata, timeout=self._timeout).replayed
        )

    def close(self) -> None:
        self._channel.close()


def bad_request_violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    """(field, description) pairs from an INVALID_ARGUMENT's google.rpc.BadRequest details."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is None:
        return []
    violations = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations += [(item.field, item.description) for item in bad_request.field_violations]
    return violations
