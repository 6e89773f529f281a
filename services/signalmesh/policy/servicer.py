"""Policy gRPC servicer: translates Decide batches between the wire and the pure rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import grpc
from opentelemetry import trace

from signalmesh.connector import STRATEGY_NAMES, Destination
from signalmesh.interceptors import current_client
from signalmesh.plugins import ConnectorRegistry
from signalmesh.policy.dedup import dedup_key
from signalmesh.policy.eligibility import Verdict, judge, skip
from signalmesh.policy.shared_strategy import SharedStrategy
from signalmesh.policy.strategy import requested_strategy
from signalmesh.store.base import Store
from signalmesh.telemetry import tracing
from signalmesh.v1 import policy_pb2, policy_pb2_grpc

DUPLICATE_DETAIL = (
    "already sent to this destination with the same event_name and event_id within the dedup window"
)


class PolicyServicer(policy_pb2_grpc.PolicyServicer):
    def __init__(
        self,
        *,
        destinations: Mapping[str, Destination],
        registry: ConnectorRegistry,
        store: Store,
        strategies: SharedStrategy,
        dedup_window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._destinations = destinations
        self._registry = registry
        self._store = store
        self._strategies = strategies
        self._window = dedup_window_seconds
        self._clock = clock

    async def Decide(
        self, request: policy_pb2.DecideRequest, context: grpc.aio.ServicerContext
    ) -> policy_pb2.DecideResponse:
        now = self._clock()
        strategies = await self._strategies.current()
        verdicts: list[Verdict] = []
        used: list[str] = []
        for item in request.items:
            destination = self._destinations.get(item.destination)
            if destination is None or destination.connector not in self._registry:
                verdicts.append(
                    skip(policy_pb2.REASON_UNKNOWN_DESTINATION, f"no destination named {item.destination!r}")
                )
                used.append(strategies.default)
                continue
            strategy = strategies.for_destination(item.destination)
            used.append(strategy)
            verdicts.append(
                judge(item, self._registry.get(destination.connector), destination, strategy, now)
            )

        candidates = [index for index, verdict in enumerate(verdicts) if verdict.send]
        keys = [dedup_key(request.items[index]) for index in candidates]
        if keys:
            if request.dry_run:
                claimed = await self._store.dedup_keys_claimed(keys, self._window, now)
                fresh = [not taken for taken in claimed]
                fresh = _first_occurrence_only(keys, fresh)
            else:
                fresh = await self._store.claim_dedup_keys(keys, self._window, now)
            for index, is_fresh in zip(candidates, fresh, strict=True):
                if not is_fresh:
                    verdicts[index] = skip(policy_pb2.REASON_DUPLICATE, DUPLICATE_DETAIL)

        span = trace.get_current_span()
        # Not recorded (no exporter, or not sampled): the per-item events would be pure cost.
        recording = span.is_recording()
        if recording:
            span.set_attribute(tracing.EVENT_IDS, sorted({item.event_id for item in request.items}))
        response = policy_pb2.DecideResponse()
        for item, verdict, strategy in zip(request.items, verdicts, used, strict=True):
            response.decisions.add(
                event_id=item.event_id,
                destination=item.destination,
                decision=verdict.decision,
                reason=verdict.reason,
                detail=verdict.detail,
                strategy=STRATEGY_NAMES[strategy],
            )
            if recording:
                span.add_event(
                    "decision",
                    {
                        tracing.EVENT_ID: item.event_id,
                        tracing.DESTINATION: item.destination,
                        tracing.DECISION: policy_pb2.Decision.Name(verdict.decision),
                        tracing.REASON: policy_pb2.Reason.Name(verdict.reason),
                    },
                )
        return response

    async def GetStrategy(
        self, request: policy_pb2.GetStrategyRequest, context: grpc.aio.ServicerContext
    ) -> policy_pb2.StrategySettings:
        return (await self._strategies.refresh()).to_proto()

    async def UpdateStrategy(
        self, request: policy_pb2.UpdateStrategyRequest, context: grpc.aio.ServicerContext
    ) -> policy_pb2.StrategySettings:
        strategy = await requested_strategy(request, self._destinations, context)
        # Policy knows its caller only as the token's holder; Gateway.UpdateStrategy names the client.
        actor = current_client() or "policy"
        effective = await self._strategies.refresh()
        await self._store.set_strategy(
            request.destination, strategy, actor, self._clock(), effective.for_scope(request.destination)
        )
        return (await self._strategies.refresh()).to_proto()


def _first_occurrence_only(keys: list[str], fresh: list[bool]) -> list[bool]:
    """In a dry run nothing is claimed, so a key repeated in one batch must still read as a duplicate."""
    seen: set[str] = set()
    result = []
    for key, is_fresh in zip(keys, fresh, strict=True):
        result.append(is_fresh and key not in seen)
        seen.add(key)
    return result
