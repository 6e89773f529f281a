"""Monitoring gRPC servicer: translates between the wire and the store's history, observations,
alerts and reconciliations (DESIGN §11), and nothing else. The comparisons and rules are pure
functions in ``signalmesh.monitoring``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import grpc
from google.protobuf import timestamp_pb2

from signalmesh.monitoring import history
from signalmesh.monitoring.reconciliation import CrmRecord, Tolerances, reconcile
from signalmesh.monitoring.reconciliation_json import KIND as RECONCILIATION
from signalmesh.monitoring.reconciliation_json import to_json
from signalmesh.store.base import AlertRecord, Observation, Store
from signalmesh.v1 import monitoring_pb2, monitoring_pb2_grpc

METHOD_SCOPES = {
    "/signalmesh.v1.Monitoring/GetStats": "events:read",
    "/signalmesh.v1.Monitoring/ObserveEvents": "events:write",
    "/signalmesh.v1.Monitoring/ListAlerts": "events:read",
    "/signalmesh.v1.Monitoring/Reconcile": "events:write",
    "/signalmesh.v1.Monitoring/GetLatestReconciliation": "events:read",
}
MAX_OBSERVATIONS = 10_000
MAX_CRM_RECORDS = 1_000_000
RESOLUTIONS = (history.HOURLY, history.DAILY)


def seconds(stamp: timestamp_pb2.Timestamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9


def timestamp(epoch_seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(epoch_seconds * 1e9))
    return stamp


def to_alert(record: AlertRecord) -> monitoring_pb2.Alert:
    alert = monitoring_pb2.Alert(
        alert_key=record.alert_key,
        rule=record.rule,
        severity=record.severity,
        state=record.state,
        destination=record.destination,
        fired_at=timestamp(record.fired_at),
        details_json=record.details,
    )
    if record.resolved_at:
        alert.resolved_at.CopyFrom(timestamp(record.resolved_at))
    return alert


def observation_problem(index: int, item: monitoring_pb2.Observation) -> str | None:
    """Why one observation cannot be counted, naming its field; None when it can."""
    where = f"observations[{index}]"
    if not item.event_id:
        return (
            f"{where}.event_id: required, the id the pixel fired with (it is what the layers are matched on)"
        )
    if not item.event_name:
        return f"{where}.event_name: required"
    if not item.HasField("event_time"):
        return f"{where}.event_time: required, when the pixel fired"
    return None


def crm_problem(index: int, item: monitoring_pb2.CrmRecord) -> str | None:
    where = f"crm[{index}]"
    if not (item.event_id or item.order_id):
        return f"{where}: needs event_id or order_id (what it is matched to the server's events on)"
    if not item.event_name:
        return f"{where}.event_name: required"
    if not item.HasField("event_time"):
        return f"{where}.event_time: required"
    if item.value:
        try:
            Decimal(item.value)
        except InvalidOperation:
            return f"{where}.value: {item.value[:40]!r} is not a decimal number"
    return None


def crm_record(item: monitoring_pb2.CrmRecord) -> CrmRecord:
    return CrmRecord(
        event_name=item.event_name,
        event_time=seconds(item.event_time),
        event_id=item.event_id,
        order_id=item.order_id,
        value=Decimal(item.value) if item.value else None,
        currency=item.currency,
    )


class MonitoringServicer(monitoring_pb2_grpc.MonitoringServicer):
    def __init__(self, *, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def GetStats(
        self, request: monitoring_pb2.GetStatsRequest, context: grpc.aio.ServicerContext
    ) -> monitoring_pb2.GetStatsResponse:
        resolution = request.resolution or history.HOURLY
        if resolution not in RESOLUTIONS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"resolution: {resolution!r} is not one of {list(RESOLUTIONS)}",
            )
        until = seconds(request.until) if request.HasField("until") else self._clock()
        rows = await self._store.read_history(
            seconds(request.since),
            until,
            resolution=resolution,
            destination=request.destination or None,
            event_name=request.event_name or None,
        )
        response = monitoring_pb2.GetStatsResponse(resolution=resolution)
        for row in rows:
            response.buckets.add(
                start=timestamp(row.key.start),
                destination=row.key.destination,
                event_name=row.key.event_name,
                mode=row.key.mode,
                counters=dict(row.counters),
            )
        return response

    async def ObserveEvents(
        self, request: monitoring_pb2.ObserveEventsRequest, context: grpc.aio.ServicerContext
    ) -> monitoring_pb2.ObserveEventsResponse:
        if len(request.observations) > MAX_OBSERVATIONS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"observations: {len(request.observations)} in one call; send at most {MAX_OBSERVATIONS}",
            )
        problems = [
            problem
            for index, item in enumerate(request.observations)
            if (problem := observation_problem(index, item)) is not None
        ]
        if problems:
            # All or nothing: a half-recorded file would make the browser layer look short.
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems[:20]))
        observations = [
            Observation(item.event_id, item.event_name, seconds(item.event_time), item.destination)
            for item in request.observations
        ]
        await self._store.record_observations(observations, self._clock())
        return monitoring_pb2.ObserveEventsResponse(recorded=len(observations))

    async def ListAlerts(
        self, request: monitoring_pb2.ListAlertsRequest, context: grpc.aio.ServicerContext
    ) -> monitoring_pb2.ListAlertsResponse:
        records = sorted(
            await self._store.alerts(), key=lambda record: (record.state != "firing", -record.fired_at)
        )
        return monitoring_pb2.ListAlertsResponse(alerts=[to_alert(record) for record in records])

    async def Reconcile(
        self, request: monitoring_pb2.ReconcileRequest, context: grpc.aio.ServicerContext
    ) -> monitoring_pb2.ReconcileResponse:
        """Browser (reported and given), server (delivered) and CRM (given) over [since, until)."""
        if len(request.crm) > MAX_CRM_RECORDS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"crm: at most {MAX_CRM_RECORDS} records per call"
            )
        problems = [
            problem
            for index, item in enumerate(request.crm)
            if (problem := crm_problem(index, item)) is not None
        ]
        problems += [
            problem
            for index, item in enumerate(request.browser)
            if (problem := observation_problem(index, item)) is not None
        ]
        now = self._clock()
        since = seconds(request.since)
        until = seconds(request.until) if request.HasField("until") else now
        if until <= since:
            problems.append("until: must be after since")
        if problems:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems[:20]))
        reported = await self._store.observations(since, until)
        given = [
            Observation(item.event_id, item.event_name, seconds(item.event_time), item.destination)
            for item in request.browser
        ]
        # No browser layer at all (nothing reported, no file): its comparisons are N/A, not 0.
        browser = reported + given if (reported or given) else None
        result = reconcile(
            browser,
            await self._store.delivered_events(since, until),
            [crm_record(item) for item in request.crm],
            since,
            until,
            Tolerances(),
        )
        body = json.dumps(to_json(result), sort_keys=True)
        await self._store.put_document(RECONCILIATION, body, now)
        return monitoring_pb2.ReconcileResponse(result_json=body, computed_at=timestamp(now))

    async def GetLatestReconciliation(
        self, request: monitoring_pb2.GetLatestReconciliationRequest, context: grpc.aio.ServicerContext
    ) -> monitoring_pb2.ReconcileResponse:
        latest = await self._store.get_document(RECONCILIATION)
        if latest is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, "no reconciliation yet: run `signalmesh reconcile --crm FILE`"
            )
        assert latest is not None  # abort() raised otherwise
        body, computed_at = latest
        return monitoring_pb2.ReconcileResponse(result_json=body, computed_at=timestamp(computed_at))
