"""What each strategy would send of one batch, whichever is in effect: the history behind
``signalmesh strategy compare``. Pure.

Every check before the strategy's rule (test channel, consent, time window, required data)
and after it (rollout share, dedup) gives both strategies the same answer, so an event
counts for a strategy when it reached the rule — it was sent, or skipped by the rule itself —
and that strategy's rule (data, in the connector) takes its identifiers. A duplicate counts for
neither: its first copy was counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from signalmesh.connector import SEND_ALL, STRICT, Connector, Destination
from signalmesh.monitoring import history
from signalmesh.policy.rollout import in_rollout
from signalmesh.policy.strategy import STRATEGY_BY_ENUM
from signalmesh.v1 import event_pb2, policy_pb2

STRATEGIES = (STRICT, SEND_ALL)


def would_send_counter(strategy: str) -> str:
    return f"{history.WOULD_SEND}{strategy}"


def would_send_value_counter(strategy: str, currency: str) -> str:
    return f"{history.WOULD_SEND_VALUE}{strategy}.{currency}"


def reached_the_rule(
    prepared: event_pb2.PreparedEvent,
    decision: policy_pb2.DecisionOutput,
    connector: Connector,
    destination: Destination | None,
) -> bool:
    """Sent, or skipped by the rule of the strategy in effect (and inside the rollout share)."""
    if decision.decision == policy_pb2.DECISION_SEND:
        return True
    rule = connector.eligibility.get(STRATEGY_BY_ENUM.get(decision.strategy, ""))
    if rule is None or decision.reason != rule.reason:
        return False
    percent = destination.rollout_percent if destination is not None else 100.0
    return prepared.test_mode or in_rollout(prepared.event_id, percent)


def count_strategies(
    prepared_events: Sequence[event_pb2.PreparedEvent],
    decisions: Sequence[policy_pb2.DecisionOutput],
    connector_of: Callable[[str], Connector],
    destinations: Mapping[str, Destination],
    now: float,
) -> history.HistoryDelta:
    """``would_send.<strategy>`` and its value per currency, for both strategies."""
    delta = history.HistoryDelta()
    for prepared, decision in zip(prepared_events, decisions, strict=True):
        connector = connector_of(prepared.connector)
        if not reached_the_rule(prepared, decision, connector, destinations.get(prepared.destination)):
            continue
        identifiers = frozenset(prepared.identifiers)
        mode = history.TEST if prepared.test_mode else history.LIVE
        where = (now, prepared.destination, prepared.event_name)
        for strategy in STRATEGIES:
            rule = connector.eligibility.get(strategy)
            if rule is not None and not rule.is_satisfied_by(identifiers):
                continue
            delta.add(*where, would_send_counter(strategy), mode=mode)
            if prepared.value and prepared.currency:
                counter = would_send_value_counter(strategy, prepared.currency)
                delta.add(*where, counter, float(prepared.value), mode=mode)
    return delta
