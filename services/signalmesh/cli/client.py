"""The synchronous gRPC gateway client the CLI uses: auth metadata, deadlines, event files.

Synchronous on purpose: a command-line tool has one thing to do at a time, and grpcio-testing
(which does not support grpc.aio) can test it without a network.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import grpc
from google.protobuf import json_format

from signalmesh.config import ClientTls
from signalmesh.tls import sync_channel
from signalmesh.v1 import (
    event_pb2,
    gateway_pb2,
    gateway_pb2_grpc,
    monitoring_pb2,
    monitoring_pb2_grpc,
    policy_pb2,
)


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
        self,
        address: str,
        api_key: str,
        timeout_seconds: float = 30.0,
        channel: grpc.Channel | None = None,
        tls: ClientTls | None = None,
    ) -> None:
        """``tls`` dials a TLS gateway (``--ca`` / ``[client]``); None speaks plaintext."""
        self._channel = channel or sync_channel(address, tls)
        self._stub = gateway_pb2_grpc.GatewayStub(self._channel)
        self._monitoring = monitoring_pb2_grpc.MonitoringStub(self._channel)
        self._metadata = (("authorization", f"Bearer {api_key}"),)
        self._timeout = timeout_seconds

    def send_events(self, events: Sequence[event_pb2.ConversionEvent]) -> gateway_pb2.SendEventsResponse:
        return self._stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=events), metadata=self._metadata, timeout=self._timeout
        )

    def send_events_patiently(
        self,
        events: Sequence[event_pb2.ConversionEvent],
        patience_seconds: float = 300.0,
        on_wait: Callable[[str, float], None] = lambda reason, seconds: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> gateway_pb2.SendEventsResponse:
        """``send_events``, waiting out backpressure and a passing outage: RESOURCE_EXHAUSTED
        (after the gateway's RetryInfo hint) and UNAVAILABLE (exponential backoff) are retried
        until ``patience_seconds`` have passed. Safe: a refused batch was not accepted at all,
        and a retried one that was is deduplicated by its event ids."""
        deadline = time.monotonic() + patience_seconds
        backoff = 0.5
        while True:
            try:
                return self.send_events(events)
            except grpc.RpcError as error:
                code = error.code()  # type: ignore[attr-defined]
                if code not in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
                    raise
                wait = retry_delay_seconds(error) if code == grpc.StatusCode.RESOURCE_EXHAUSTED else None
                wait = wait if wait is not None else backoff
                backoff = min(backoff * 2, 10.0)
                if time.monotonic() + wait > deadline:
                    raise
                on_wait(code.name, wait)
                sleep(wait)

    def send_event(self, event: event_pb2.ConversionEvent) -> gateway_pb2.SendEventResponse:
        return self._stub.SendEvent(
            gateway_pb2.SendEventRequest(event=event), metadata=self._metadata, timeout=self._timeout
        )

    def check_event(self, event: event_pb2.ConversionEvent) -> gateway_pb2.CheckEventResponse:
        return self._stub.CheckEvent(
            gateway_pb2.CheckEventRequest(event=event), metadata=self._metadata, timeout=self._timeout
        )

    def status(self, event_id: str, include_payload: bool = False) -> gateway_pb2.GetEventStatusResponse:
        return self._stub.GetEventStatus(
            gateway_pb2.GetEventStatusRequest(event_id=event_id, include_payload=include_payload),
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

    def strategy(self) -> gateway_pb2.StrategyOverview:
        return self._stub.GetStrategy(
            policy_pb2.GetStrategyRequest(), metadata=self._metadata, timeout=self._timeout
        )

    def update_strategy(
        self, destination: str, strategy: policy_pb2.Strategy
    ) -> gateway_pb2.StrategyOverview:
        """Set ``strategy`` (a policy_pb2.Strategy) for ``destination`` ("" = globally); admin scope."""
        request = policy_pb2.UpdateStrategyRequest(destination=destination, strategy=strategy)
        return self._stub.UpdateStrategy(request, metadata=self._metadata, timeout=self._timeout)

    # --- monitoring (the same gateway address, its Monitoring service) ---
    def stats(self, request: monitoring_pb2.GetStatsRequest) -> monitoring_pb2.GetStatsResponse:
        return self._monitoring.GetStats(request, metadata=self._metadata, timeout=self._timeout)

    def alerts(self) -> list[monitoring_pb2.Alert]:
        response = self._monitoring.ListAlerts(
            monitoring_pb2.ListAlertsRequest(), metadata=self._metadata, timeout=self._timeout
        )
        return list(response.alerts)

    def observe(self, observations: Sequence[monitoring_pb2.Observation]) -> int:
        request = monitoring_pb2.ObserveEventsRequest(observations=observations)
        return int(
            self._monitoring.ObserveEvents(request, metadata=self._metadata, timeout=self._timeout).recorded
        )

    def reconcile(self, request: monitoring_pb2.ReconcileRequest) -> monitoring_pb2.ReconcileResponse:
        return self._monitoring.Reconcile(request, metadata=self._metadata, timeout=self._timeout)

    def latest_reconciliation(self) -> monitoring_pb2.ReconcileResponse:
        return self._monitoring.GetLatestReconciliation(
            monitoring_pb2.GetLatestReconciliationRequest(), metadata=self._metadata, timeout=self._timeout
        )

    def close(self) -> None:
        self._channel.close()


def retry_delay_seconds(error: grpc.RpcError) -> float | None:
    """The ``google.rpc.RetryInfo`` hint of an error, in seconds, or None."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return None


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
