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
    counts: dict[history.TallyKey, float] = {}
    connectors: dict[str, Connector] = {}
    # Worked out once per batch: which strategies' rules each distinct set of identifier
    # *names* (never values) meets per connector, and each counter's name.
    sending: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
    counter_of = {strategy: would_send_counter(strategy) for strategy in STRATEGIES}
    value_counters: dict[tuple[str, str], str] = {}
    for prepared, decision in zip(prepared_events, decisions, strict=True):
        connector_name = prepared.connector
        connector = connectors.get(connector_name)
        if connector is None:
            connector = connectors[connector_name] = connector_of(connector_name)
        if decision.decision != policy_pb2.DECISION_SEND and not reached_the_rule(
            prepared, decision, connector, destinations.get(prepared.destination)
        ):
            continue
        # A slice copies a repeated field in one step, faster than iterating it.
        identifiers = (connector_name, tuple(prepared.identifiers[:]))
        strategies = sending.get(identifiers)
        if strategies is None:
            strategies = sending[identifiers] = strategies_sending(connector, identifiers[1])
        mode = history.TEST if prepared.test_mode else history.LIVE
        bucket = (prepared.destination, prepared.event_name, mode)
        currency = prepared.currency
        valued = bool(prepared.value and currency)
        amount = float(prepared.value) if valued else 0.0
        for strategy in strategies:
            history.tally(counts, (*bucket, counter_of[strategy]))
            if valued:
                named = (strategy, currency)
                counter = value_counters.get(named)
                if counter is None:
                    counter = value_counters[named] = would_send_value_counter(strategy, currency)
                history.tally(counts, (*bucket, counter), amount)
    delta = history.HistoryDelta()
    delta.add_tally(now, counts)
    return delta


def strategies_sending(connector: Connector, identifiers: Sequence[str]) -> tuple[str, ...]:
    """The strategies (of ``STRATEGIES``, in order) whose rule an event with ``identifiers`` meets."""
    present = frozenset(identifiers)
    return tuple(
        strategy
        for strategy in STRATEGIES
        if (rule := connector.eligibility.get(strategy)) is None or rule.is_satisfied_by(present)
    )
