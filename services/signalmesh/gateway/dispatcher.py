"""Dispatcher: per destination, claim a batch from the outbox, send it, record each event's fate.

Each destination has its own workers, circuit breaker and rate limiter, so a platform that is
down, slow or throttling only delays its own events. The connector builds the requests and
classifies the answers; this module only moves entries between states: delivered / rejected
end an entry, retry puts it back with exponential backoff and full jitter (Retry-After is a
floor), and an entry whose retry horizon or platform age window has passed is dead-lettered
with its reason, to be replayed by `signalmesh dlq replay`. Each result carries what is kept of
its exchange (``kept_payloads``: the body sent and the answer, masked and bounded), written with
it in one store transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

import structlog
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link

from signalmesh.config import DispatcherConfig, refresh_secrets, secret_versions
from signalmesh.connector import Connector, Destination, HttpRequest, Outcome, OutcomeKind
from signalmesh.gateway.breaker import CircuitBreaker
from signalmesh.gateway.delivery_traces import dispatch_traces
from signalmesh.gateway.history_counts import count_completed
from signalmesh.gateway.kept_payloads import kept_payloads
from signalmesh.gateway.rate_limit import RateLimiter
from signalmesh.gateway.transport import Transport
from signalmesh.plugins import ConnectorRegistry
from signalmesh.store.base import DeliveryPayload, DeliveryResult, OutboxEntry, Store
from signalmesh.telemetry import tracing
from signalmesh.telemetry.metrics import get_metrics, metrics_recorded
from signalmesh.v1 import event_pb2, gateway_pb2

_tracer = trace.get_tracer("signalmesh.dispatcher")
_log = structlog.get_logger("signalmesh.dispatcher")
# An event's outcome and the exchange it came from, as the store keeps it.
_Answer = tuple[Outcome, DeliveryPayload | None]
_STATE_OF = {
    OutcomeKind.DELIVERED: gateway_pb2.DELIVERY_STATE_DELIVERED,
    OutcomeKind.REJECTED: gateway_pb2.DELIVERY_STATE_REJECTED,
}


def backoff_seconds(
    attempt: int, config: DispatcherConfig, rng: random.Random, retry_after: float | None
) -> float:
    """Full-jitter exponential backoff; a platform's Retry-After is a floor, never ignored."""
    ceiling = min(config.max_backoff_seconds, config.base_backoff_seconds * 2 ** max(0, attempt - 1))
    return max(rng.uniform(0, ceiling), retry_after or 0.0)


def describe(outcome: Outcome) -> str:
    """The platform's answer in one line, for GetEventStatus and `signalmesh status`."""
    parts = [outcome.kind.value]
    if outcome.code:
        parts.append(f"code {outcome.code}")
    if outcome.message:
        parts.append(outcome.message)
    if outcome.field:
        parts.append(f"field {outcome.field}")
    return " · ".join(parts)


def retry_or_give_up(
    entry: OutboxEntry,
    outcome: Outcome,
    *,
    now: float,
    delay: float,
    event_time: float,
    max_age_seconds: float,
    config: DispatcherConfig,
    count_attempt: bool = True,
) -> DeliveryResult:
    """RETRYING at ``now + delay``, unless that is past the retry horizon, past the platform's
    age window for this event (reason "expired"), or past the attempt cap."""
    attempt = entry.attempts + 1
    retry_at = now + delay
    if retry_at > event_time + max_age_seconds:
        reason = (
            f"expired: the platform accepts events up to {max_age_seconds / 86400:g} days old · "
            f"{describe(outcome)}"
        )
    elif retry_at > entry.enqueued_at + config.retry_horizon_seconds:
        reason = (
            f"gave up after {config.retry_horizon_seconds / 3600:g} h of retries ({attempt} attempts) · "
            f"{describe(outcome)}"
        )
    elif count_attempt and config.max_attempts and attempt >= config.max_attempts:
        reason = f"gave up after {attempt} attempts · {describe(outcome)}"
    else:
        return DeliveryResult(
            entry.entry_id,
            entry.event_id,
            entry.destination,
            gateway_pb2.DELIVERY_STATE_RETRYING,
            describe(outcome),
            retry_at,
        )
    return DeliveryResult(
        entry.entry_id, entry.event_id, entry.destination, gateway_pb2.DELIVERY_STATE_DEAD_LETTERED, reason
    )


def delivery_rounds(keys: Iterable[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """(event id, event name) keys split into rounds in which no event id repeats, in order.

    Platforms answer per event id only, so two events sharing an id (a Purchase and its
    AddPaymentInfo, say) must not travel in one request. Pure."""
    rounds: list[list[tuple[str, str]]] = []
    ids_in: list[set[str]] = []
    for key in keys:
        for keys_of_round, ids in zip(rounds, ids_in, strict=True):
            if key[0] not in ids:
                keys_of_round.append(key)
                ids.add(key[0])
                break
        else:
            rounds.append([key])
            ids_in.append({key[0]})
    return rounds


class Dispatcher:
    def __init__(
        self,
        *,
        destinations: Mapping[str, Destination],
        registry: ConnectorRegistry,
        store: Store,
        transport: Transport,
        config: DispatcherConfig,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        keep_history: bool = True,
    ) -> None:
        self._destinations = dict(destinations)
        self._registry = registry
        self._store = store
        self._transport = transport
        self._config = config
        self._clock = clock
        self._rng = rng or random.Random()
        self._keep_history = keep_history
        self._wake = {name: asyncio.Event() for name in destinations}
        # Destinations whose last claim found less than a full batch: the next one lingers first.
        self._drained: set[str] = set()
        self.breakers = {
            name: CircuitBreaker(config.breaker_threshold, config.breaker_cooldown_seconds)
            for name in destinations
        }
        self._limiters: dict[str, RateLimiter] = {}
        for name, destination in destinations.items():
            rate = registry.get(destination.connector).limits.requests_per_second
            if rate:
                self._limiters[name] = RateLimiter(rate=rate, burst=max(1.0, rate))
        self._stopping = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._secret_versions = {name: secret_versions(item) for name, item in self._destinations.items()}

    def wake(self, names: set[str]) -> None:
        """New entries were enqueued for ``names``: skip the rest of the poll interval."""
        for name in names:
            if name in self._wake:
                self._wake[name].set()

    def start(self) -> None:
        for name in self._destinations:
            for worker in range(self._config.concurrency):
                self._workers.append(asyncio.create_task(self._work(name), name=f"dispatch-{name}-{worker}"))

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Finish the batches in flight (within ``grace_seconds``), then stop; unfinished
        entries keep their lease and are retried by whoever runs next."""
        self._stopping.set()
        for event in self._wake.values():
            event.set()
        if self._workers:
            _, pending = await asyncio.wait(self._workers, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._workers.clear()

    async def _work(self, name: str) -> None:
        poll = self._config.poll_interval_ms / 1000
        breaker = self.breakers[name]
        while not self._stopping.is_set():
            if not breaker.allow_request(self._clock()):
                await self._idle(name, poll)
                continue
            probing = breaker.probing
            if probing:
                # Before probing a paused destination, read its secrets again: a rotated token
                # in a file or the environment lets it resume without a restart.
                self._destinations[name] = refresh_secrets(self._destinations[name])
            try:
                handled = await self.run_once(name, probe=probing)
            except Exception:  # a broken batch must not kill the worker; it is retried after its lease
                _log.exception("dispatch_failed", destination=name)
                handled = 0
            if probing and handled == 0:
                breaker.probe_in_flight = False  # nothing to probe with; try again later
            if handled == 0:
                await self._idle(name, poll)

    def _with_current_secrets(self, name: str) -> Destination:
        """``name``'s destination, its ``file:``/``env:`` secrets read again if one changed since
        the last read (a ``stat`` per file): a rotated token is used from the next request on."""
        destination = self._destinations[name]
        versions = secret_versions(destination)
        if versions != self._secret_versions.get(name):
            destination = self._destinations[name] = refresh_secrets(destination)
            self._secret_versions[name] = versions
            _log.info("secrets_reread", destination=name)
        return destination

    async def _idle(self, name: str, poll: float) -> None:
        if self._stopping.is_set():
            return
        wake = self._wake[name]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=poll)
        wake.clear()

    async def run_once(self, name: str, *, probe: bool = False) -> int:
        """Claim and deliver one batch for destination ``name``; return how many entries it held.
        A probe (half-open breaker) sends a single event."""
        destination = self._with_current_secrets(name)
        connector = self._registry.get(destination.connector)
        limit = 1 if probe else connector.limits.max_events_per_request
        lease = self._config.lease_seconds
        # One claim per dispatch: when the last claim found less than a full batch (the outbox
        # was drained), wait the linger first so the batch fills, then claim once; with a
        # backlog (the last claim was full) claim at once.
        if name in self._drained and self._config.linger_ms > 0 and not self._stopping.is_set():
            await asyncio.sleep(self._config.linger_ms / 1000)
        entries = await self._store.claim_outbox(name, limit, lease, self._clock())
        if len(entries) < limit:
            self._drained.add(name)
        else:
            self._drained.discard(name)
        if not entries:
            return 0
        await self._deliver(destination, connector, entries)
        return len(entries)

    async def _deliver(
        self, destination: Destination, connector: Connector, entries: list[OutboxEntry]
    ) -> None:
        # Entries of the same (event id, event name) are one event (a replay, a resend of an
        # orphaned claim): sent once, completed together. The same id under another name is
        # another event (Meta deduplicates on id + name), sent in a later round, because a
        # platform's answer names events by id alone.
        groups: dict[tuple[str, str], list[OutboxEntry]] = defaultdict(list)
        for entry in entries:
            groups[(entry.event_id, entry.event_name)].append(entry)
        # One event's entries: the dispatch continues its trace. Entries of several events: the
        # dispatch is a trace of its own, linked to each (and each delivery span links back).
        traces = dispatch_traces([entry.traceparent for entry in entries])
        answered: list[
            tuple[Outcome, DeliveryPayload | None, list[OutboxEntry], event_pb2.PreparedEvent]
        ] = []
        with _tracer.start_as_current_span(
            f"dispatch {destination.name}", context=traces.parent, links=traces.links
        ) as dispatch_span:
            if dispatch_span.is_recording():
                dispatch_span.set_attributes(
                    {
                        tracing.DESTINATION: destination.name,
                        tracing.EVENT_IDS: list(dict.fromkeys(entry.event_id for entry in entries)),
                    }
                )
            for keys in delivery_rounds(groups):
                entries_of = {event_id: groups[(event_id, name)] for event_id, name in keys}
                prepared_by_event = {
                    event_id: event_pb2.PreparedEvent.FromString(group[0].prepared)
                    for event_id, group in entries_of.items()
                }
                for request in connector.build_requests(list(prepared_by_event.values()), destination):
                    for outcome, payload in await self._send(
                        request, connector, destination, prepared_by_event
                    ):
                        if outcome.event_id in entries_of:
                            event_id = outcome.event_id
                            answered.append(
                                (outcome, payload, entries_of[event_id], prepared_by_event[event_id])
                            )
        now = self._clock()
        # Only the entries whose traces may record a delivery span have a context.
        context_of = {
            entry.entry_id: context
            for entry, context in zip(entries, traces.contexts, strict=True)
            if context is not None
        }
        dispatch_context = dispatch_span.get_span_context()
        dispatch_links = [Link(dispatch_context)] if dispatch_context.trace_flags.sampled else []
        metrics = get_metrics()
        recorded = metrics_recorded()
        results = []
        completed = []
        # Entries by the state they end in, counted once per batch (a counter's sum is the same).
        ended_in: Counter[int] = Counter()
        for outcome, payload, group, prepared in answered:
            for position, entry in enumerate(group):
                result = self._result(entry, outcome, now, connector, prepared, payload)
                results.append(result)
                if position == 0:  # a group is one event sent once: counted once
                    completed.append((result, outcome, prepared))
                context = context_of.get(entry.entry_id)
                if context is not None:
                    self._record_span(entry, outcome, destination.name, context, dispatch_links)
                if not recorded:
                    continue
                ended_in[result.state] += 1
                if result.state == gateway_pb2.DELIVERY_STATE_DELIVERED:
                    latency = max(0.0, now - prepared.event_time.seconds)
                    metrics.delivery_latency_seconds.record(latency, {"destination": destination.name})
        for state, count in ended_in.items():
            label = gateway_pb2.DeliveryState.Name(state).removeprefix("DELIVERY_STATE_").lower()
            metrics.events_delivered.add(count, {"destination": destination.name, "outcome": label})
        if not self._keep_history:
            await self._store.complete(results, now)
            return
        history, deliveries = count_completed(completed, connector, now)
        await self._store.complete(results, now, history=history, deliveries=deliveries)

    async def _send(
        self,
        request: HttpRequest,
        connector: Connector,
        destination: Destination,
        prepared_by_event: Mapping[str, event_pb2.PreparedEvent],
    ) -> list[_Answer]:
        answers = await self._exchange(request, connector, destination)
        if len(request.event_ids) > 1 and any(outcome.whole_request for outcome, _ in answers):
            # The platform refused the whole request for an unnamed event: resend one by one so
            # only the bad event is rejected and the others are delivered.
            isolated: list[_Answer] = []
            for event_id in request.event_ids:
                for single in connector.build_requests([prepared_by_event[event_id]], destination):
                    isolated += await self._exchange(single, connector, destination)
            return isolated
        return answers

    async def _exchange(
        self, request: HttpRequest, connector: Connector, destination: Destination
    ) -> list[_Answer]:
        """One HTTP round trip, rate-limited, with the breaker told how the platform fared; each
        outcome comes with what is kept of the exchange for its event."""
        limiter = self._limiters.get(destination.name)
        if limiter is not None and (delay := limiter.delay_for_next(self._clock())) > 0:
            await asyncio.sleep(delay)
        answer = await self._transport.send(request, destination.name)
        outcomes = connector.classify(request, answer)
        self._update_breaker(destination.name, outcomes)
        kept = kept_payloads(request, answer, destination, connector.config_schema)
        return [(outcome, kept.get(outcome.event_id)) for outcome in outcomes]

    def _update_breaker(self, name: str, outcomes: list[Outcome]) -> None:
        breaker = self.breakers[name]
        metrics = get_metrics()
        refused = next((outcome for outcome in outcomes if outcome.credentials), None)
        if refused is not None:
            reason = f"the platform refused the credentials: {describe(refused)}"
            if breaker.record_failure(self._clock(), reason, credentials=True):
                metrics.destination_alerts.add(1, {"destination": name, "kind": "credentials"})
                _log.error("destination_paused", destination=name, reason=reason, alert=True)
        elif outcomes and all(outcome.kind is OutcomeKind.RETRY for outcome in outcomes):
            if breaker.record_failure(self._clock(), f"consecutive failures: {describe(outcomes[0])}"):
                metrics.destination_alerts.add(1, {"destination": name, "kind": "circuit_open"})
                _log.warning("destination_circuit_open", destination=name, reason=breaker.reason, alert=True)
        elif breaker.record_success():
            metrics.destination_alerts.add(1, {"destination": name, "kind": "recovered"})
            _log.info("destination_recovered", destination=name)

    def _result(
        self,
        entry: OutboxEntry,
        outcome: Outcome,
        now: float,
        connector: Connector,
        prepared: event_pb2.PreparedEvent,
        payload: DeliveryPayload | None = None,
    ) -> DeliveryResult:
        if outcome.kind is not OutcomeKind.RETRY:
            return DeliveryResult(
                entry.entry_id,
                entry.event_id,
                entry.destination,
                _STATE_OF[outcome.kind],
                describe(outcome),
                payload=payload,
            )
        breaker = self.breakers[entry.destination]
        outcome_paused = outcome.credentials
        if outcome.credentials:
            # Paused, not failing: the events wait, untouched, until the credentials work again.
            delay = self._config.breaker_cooldown_seconds
            outcome = Outcome(outcome.event_id, outcome.kind, message=f"destination paused: {breaker.reason}")
        else:
            delay = backoff_seconds(entry.attempts + 1, self._config, self._rng, outcome.retry_after)
        result = retry_or_give_up(
            entry,
            outcome,
            now=now,
            delay=delay,
            event_time=prepared.event_time.seconds,
            max_age_seconds=connector.limits.max_age_for(prepared.action_source).total_seconds(),
            config=self._config,
            # A paused destination is not the event's failure: it does not use up attempts.
            count_attempt=not outcome_paused,
        )
        return result if payload is None else replace(result, payload=payload)

    def _record_span(
        self, entry: OutboxEntry, outcome: Outcome, destination: str, context: Context, links: list[Link]
    ) -> None:
        """A span in the event's own trace (under its decision) saying how its delivery ended,
        linked to the dispatch that carried it; none when the event's trace is not sampled."""
        event_span = trace.get_current_span(context).get_span_context()
        if event_span.is_valid and not event_span.trace_flags.sampled:
            return
        span = _tracer.start_span(f"deliver {destination}", context=context, links=links)
        if span.is_recording():
            span.set_attributes(
                {
                    tracing.EVENT_ID: entry.event_id,
                    tracing.DESTINATION: destination,
                    "signalmesh.outcome": outcome.kind.value,
                    "signalmesh.attempt": entry.attempts + 1,
                }
            )
        span.end()
