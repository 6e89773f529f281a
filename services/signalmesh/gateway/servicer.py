"""Gateway gRPC servicer: translates between the wire and the accept pipeline, previews and dead
letters, and nothing else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import grpc
from google.protobuf import any_pb2
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from signalmesh.connector import Destination
from signalmesh.gateway import accept_telemetry as observe
from signalmesh.gateway.accept import EventOutcome
from signalmesh.gateway.accept_pipeline import AcceptPipeline
from signalmesh.gateway.batcher import MicroBatcher
from signalmesh.gateway.client_limits import ClientLimits, OverLimit
from signalmesh.gateway.dead_letters import (
    DEAD_LETTER_PAGE,
    MAX_DEAD_LETTER_PAGE,
    entries_to_replay,
    list_dead_letters,
)
from signalmesh.gateway.destination_scopes import OutsideScope, scoped
from signalmesh.gateway.field_limits import cut
from signalmesh.gateway.outbox_limit import OutboxFull
from signalmesh.gateway.policy_client import PolicyUnavailable
from signalmesh.gateway.previews import previews
from signalmesh.gateway.quota_status import over_limit_status
from signalmesh.gateway.strategy_settings import StrategyAdmin
from signalmesh.gateway.validate import Violation
from signalmesh.interceptors import current_client, current_destinations
from signalmesh.plugins import ConnectorRegistry
from signalmesh.policy.strategy import requested_strategy
from signalmesh.store.base import PayloadRecord, Store
from signalmesh.telemetry import tracing
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc, policy_pb2

METHOD_SCOPES = {
    "/signalmesh.v1.Gateway/SendEvent": "events:write",
    "/signalmesh.v1.Gateway/SendEvents": "events:write",
    "/signalmesh.v1.Gateway/StreamEvents": "events:write",
    "/signalmesh.v1.Gateway/CheckEvent": "events:write",
    "/signalmesh.v1.Gateway/GetEventStatus": "events:read",
    "/signalmesh.v1.Gateway/ListDeadLetters": "admin",
    "/signalmesh.v1.Gateway/ReplayDeadLetters": "admin",
    "/signalmesh.v1.Gateway/GetStrategy": "events:read",
    "/signalmesh.v1.Gateway/UpdateStrategy": "admin",
}
RETRY_WHEN_FULL_SECONDS = 5
STATUS_VIOLATIONS = 20
STATUS_MESSAGE_CHARACTERS = 2000


def _write_violations(
    container: RepeatedCompositeFieldContainer[gateway_pb2.FieldViolation], items: list[Violation]
) -> None:
    """``items`` added to a repeated ``FieldViolation`` field, each written in place."""
    add = container.add
    for item in items:
        add(field=item.field, description=item.description, reason=item.reason)


def to_payload(record: PayloadRecord) -> gateway_pb2.DeliveryPayload:
    kept = record.payload
    message = gateway_pb2.DeliveryPayload(
        request_body=kept.request_body,
        response_body=kept.response_body,
        response_status=kept.response_status,
        request_events=kept.request_events,
        request_index=kept.request_index,
    )
    message.recorded_at.FromNanoseconds(int(record.recorded_at * 1e9))
    return message


def to_result(outcome: EventOutcome, index: int, trace_id: str = "") -> gateway_pb2.EventResult:
    result = gateway_pb2.EventResult()
    write_result(result, outcome, index, trace_id)
    return result


def write_result(
    result: gateway_pb2.EventResult, outcome: EventOutcome, index: int, trace_id: str = ""
) -> None:
    """``outcome`` as the ``EventResult`` ``result`` (empty): written in place, so a batch's
    results go straight into its response instead of being built and then copied into it."""
    result.event_id = outcome.event.event_id
    result.index = index
    result.trace_id = trace_id
    report = outcome.report
    result.disposition = gateway_pb2.DISPOSITION_ACCEPTED if report.ok else gateway_pb2.DISPOSITION_REJECTED
    # Most events have neither (reading ``result.violations`` alone builds a container).
    if report.violations:
        _write_violations(result.violations, report.violations)
    if report.warnings:
        _write_violations(result.warnings, report.warnings)
    add = result.decisions.add
    for decision in outcome.decisions:
        add(
            destination=decision.destination,
            decision=decision.decision,
            reason=decision.reason,
            detail=decision.detail,
        )


def outbox_full_status(error: OutboxFull) -> grpc.Status:
    """RESOURCE_EXHAUSTED with google.rpc.RetryInfo: nothing was accepted, retry after the delay."""
    retry_info = error_details_pb2.RetryInfo()
    retry_info.retry_delay.FromSeconds(RETRY_WHEN_FULL_SECONDS)
    detail = any_pb2.Any()
    detail.Pack(retry_info)
    message = f"nothing accepted: {error}"
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=message, details=[detail])
    )


def bad_request_status(outcome: EventOutcome) -> grpc.Status:
    """INVALID_ARGUMENT with google.rpc.BadRequest: the violations, each naming its field.

    Both travel in trailing metadata (gRPC's limit is 8 KiB by default), so the details keep the
    first ``STATUS_VIOLATIONS`` and the message the first ``STATUS_MESSAGE_CHARACTERS``."""
    violations = outcome.report.violations
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=item.field, description=item.description, reason=item.reason
            )
            for item in violations[:STATUS_VIOLATIONS]
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    summary = "; ".join(f"{item.field}: {item.description}" for item in violations[:STATUS_VIOLATIONS])
    if len(violations) > STATUS_VIOLATIONS:
        summary += f"; and {len(violations) - STATUS_VIOLATIONS} more"
    event_id = cut(outcome.event.event_id) if outcome.event.event_id else "(no event_id)"
    message = f"event {event_id} is invalid: {summary}"
    if len(message) > STATUS_MESSAGE_CHARACTERS:
        message = message[:STATUS_MESSAGE_CHARACTERS] + "…"
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail])
    )


# A stream's next answer: the event's pending outcome, a refusal that ends it, or its end.
_StreamAnswer = tuple[asyncio.Task[EventOutcome], observe.EventTrace] | OutsideScope | OverLimit | None


async def _in_scope(
    events: Sequence[event_pb2.ConversionEvent], context: grpc.aio.ServicerContext, first_index: int = 0
) -> list[event_pb2.ConversionEvent]:
    """``events`` as the caller's key may send them; PERMISSION_DENIED for the whole call if one
    names a destination outside the key's ``destinations`` (see destination_scopes)."""
    try:
        return scoped(events, current_destinations(), first_index)
    except OutsideScope as error:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
        raise  # abort raises; this keeps type checkers sure nothing returns


class GatewayServicer(gateway_pb2_grpc.GatewayServicer):
    def __init__(
        self,
        *,
        pipeline: AcceptPipeline,
        batcher: MicroBatcher[EventOutcome],
        store: Store,
        registry: ConnectorRegistry,
        destinations: Mapping[str, Destination],
        max_batch_size: int,
        strategy: StrategyAdmin,
        wake: Callable[[set[str]], None] = lambda names: None,
        clock: Callable[[], float] = time.time,
        limits: ClientLimits | None = None,
    ) -> None:
        # Each client's events/s and streams (none when not given), checked before accepting.
        self._limits = limits or ClientLimits({})
        self._wake = wake
        self._clock = clock
        self._pipeline = pipeline
        self._batcher = batcher
        self._store = store
        self._registry = registry
        self._destinations = destinations
        self._max_batch_size = max_batch_size
        self._strategy = strategy

    async def SendEvent(
        self, request: gateway_pb2.SendEventRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.SendEventResponse:
        # One event, one call: the event's trace is the call's (the caller's, when it sent one).
        [event] = await _in_scope([request.event], context)
        if (over := self._limits.take_events(current_client(), 1)) is not None:
            await context.abort_with_status(over_limit_status(over))
        try:
            outcome = await self._batcher.submit(event)
        except PolicyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"not accepted, retry later: {error}")
        except OutboxFull as error:
            await context.abort_with_status(outbox_full_status(error))
        if not outcome.accepted:
            await context.abort_with_status(bad_request_status(outcome))
        return gateway_pb2.SendEventResponse(result=to_result(outcome, 0, tracing.trace_id_hex()))

    async def SendEvents(
        self, request: gateway_pb2.SendEventsRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.SendEventsResponse:
        if len(request.events) > self._max_batch_size:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"events: {len(request.events)} events in one call; "
                f"send at most {self._max_batch_size} per SendEvents",
            )
        # Paid for whole or refused whole, before any event of the batch is accepted.
        if (over := self._limits.take_events(current_client(), len(request.events))) is not None:
            await context.abort_with_status(over_limit_status(over))
        # Each event in a trace of its own, linked to this call's span (and back).
        events = await _in_scope(request.events, context)
        traces = observe.event_traces(len(events))
        outcomes: list[EventOutcome] = []
        try:
            outcomes = await self._pipeline.submit(events, [item.context for item in traces])
        except PolicyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"nothing accepted, retry the batch: {error}")
        except OutboxFull as error:
            await context.abort_with_status(outbox_full_status(error))
        finally:
            observe.end_event_traces(traces, outcomes)
        response = gateway_pb2.SendEventsResponse()
        add = response.results.add
        for index, outcome in enumerate(outcomes):
            write_result(add(), outcome, index, traces[index].trace_id)
        response.accepted = sum(outcome.accepted for outcome in outcomes)
        response.rejected = len(outcomes) - response.accepted
        return response

    async def StreamEvents(
        self, request_iterator: AsyncIterator[gateway_pb2.SendEventRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[gateway_pb2.SendEventResponse]:
        """Reads ahead so concurrent events share micro-batches; answers strictly in order.

        An event outside the key's destinations, or over the client's rate, ends the stream once
        every event before it is answered.
        """
        client = current_client()
        if (over := self._limits.open_stream(client)) is not None:
            await context.abort_with_status(over_limit_status(over, "stream not opened"))
        answers: asyncio.Queue[_StreamAnswer] = asyncio.Queue(maxsize=self._max_batch_size)

        async def read() -> None:
            read_index = 0
            async for request in request_iterator:
                # An event outside the key's destinations ends the stream (those before it stand).
                try:
                    [event] = scoped([request.event], current_destinations(), read_index)
                except OutsideScope as error:
                    await answers.put(error)
                    return
                read_index += 1
                if (over := self._limits.take_events(client, 1)) is not None:
                    await answers.put(over)  # read no further: nothing after it is accepted
                    return
                # Each streamed event in a trace of its own, linked to the stream's span.
                [event_trace] = observe.event_traces(1, link_back=False)
                pending = asyncio.ensure_future(self._batcher.submit(event, event_trace.context))
                await answers.put((pending, event_trace))
            await answers.put(None)

        reader = asyncio.create_task(read())
        index = 0
        try:
            while (answer := await answers.get()) is not None:
                if isinstance(answer, OutsideScope):
                    await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(answer))
                    return
                if isinstance(answer, OverLimit):
                    await context.abort_with_status(
                        over_limit_status(answer, f"event #{index} and later not accepted")
                    )
                    return
                pending, event_trace = answer
                try:
                    outcome = await pending
                except PolicyUnavailable as error:
                    event_trace.end()
                    await context.abort(
                        grpc.StatusCode.UNAVAILABLE, f"event #{index} and later not accepted: {error}"
                    )
                except OutboxFull as error:
                    event_trace.end()
                    await context.abort_with_status(outbox_full_status(error))
                event_trace.end(outcome)
                yield gateway_pb2.SendEventResponse(result=to_result(outcome, index, event_trace.trace_id))
                index += 1
            await reader
        finally:
            reader.cancel()
            self._limits.close_stream(client)

    async def CheckEvent(
        self, request: gateway_pb2.CheckEventRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.CheckEventResponse:
        events = await _in_scope([request.event], context)
        if (over := self._limits.take_events(current_client(), 1)) is not None:
            await context.abort_with_status(over_limit_status(over))
        try:
            [outcome] = await self._pipeline.submit(events, dry_run=True)
        except PolicyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(error))
        return gateway_pb2.CheckEventResponse(
            result=to_result(outcome, 0), previews=previews(outcome, self._destinations, self._registry)
        )

    async def GetEventStatus(
        self, request: gateway_pb2.GetEventStatusRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.GetEventStatusResponse:
        records = await self._store.event_status(request.event_id)
        if not records:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"event_id: no event {cut(request.event_id)} was accepted here"
            )
        payloads = (
            {
                (item.destination, item.event_name): item
                for item in await self._store.delivery_payloads(request.event_id)
            }
            if request.include_payload
            else {}
        )
        response = gateway_pb2.GetEventStatusResponse(event_id=request.event_id)
        for record in records:
            status = response.destinations.add(
                destination=record.destination,
                event_name=record.event_name,
                decision=record.decision,
                reason=record.reason,
                detail=record.detail,
                state=record.state,
                attempts=record.attempts,
                platform_response=record.platform_response,
                trace_id=record.trace_id,
                match_quality=record.match_quality,
            )
            status.updated_at.FromNanoseconds(int(record.updated_at * 1e9))
            if (kept := payloads.get((record.destination, record.event_name))) is not None:
                status.payload.CopyFrom(to_payload(kept))
        return response

    async def ListDeadLetters(
        self, request: gateway_pb2.ListDeadLettersRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.ListDeadLettersResponse:
        if request.destination and request.destination not in self._destinations:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"destination: no destination named {cut(request.destination)}"
            )
        if request.limit < 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"limit: {request.limit} is negative; "
                f"send 1 to {MAX_DEAD_LETTER_PAGE}, or 0 for {DEAD_LETTER_PAGE}",
            )
        letters = await list_dead_letters(
            self._store,
            self._destinations,
            self._registry,
            destination=request.destination or None,
            reason_contains=request.reason_contains,
            # Larger pages are clamped: one call never reads the whole table.
            limit=min(request.limit or DEAD_LETTER_PAGE, MAX_DEAD_LETTER_PAGE),
        )
        response = gateway_pb2.ListDeadLettersResponse()
        for letter in letters:
            record = letter.record
            shown = response.dead_letters.add(
                entry_id=record.entry_id,
                event_id=record.event_id,
                destination=record.destination,
                event_name=record.event_name,
                reason=record.platform_response,
                attempts=record.attempts,
                state=record.state,
                last_request=letter.last_request,
            )
            shown.dead_at.FromNanoseconds(int(record.updated_at * 1e9))
        return response

    async def ReplayDeadLetters(
        self, request: gateway_pb2.ReplayDeadLettersRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.ReplayDeadLettersResponse:
        if request.all == bool(request.entry_ids):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "give entry_ids, or all = true (not both)")
        ids = await entries_to_replay(
            self._store,
            entry_ids=request.entry_ids,
            replay_all=request.all,
            destination=request.destination or None,
        )
        replayed = await self._store.replay_dead_letters(ids, self._clock())
        self._wake(set(self._destinations))
        return gateway_pb2.ReplayDeadLettersResponse(replayed=replayed)

    async def GetStrategy(
        self, request: policy_pb2.GetStrategyRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.StrategyOverview:
        return await self._strategy.overview()

    async def UpdateStrategy(
        self, request: policy_pb2.UpdateStrategyRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.StrategyOverview:
        strategy = await requested_strategy(request, self._destinations, context)
        # The auth interceptor has named the caller: UpdateStrategy is never an open method.
        actor = current_client() or "unknown"
        return await self._strategy.change(request.destination, strategy, actor)
