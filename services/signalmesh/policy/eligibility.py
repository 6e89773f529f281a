"""Whether one prepared event may be sent to one destination, before deduplication. Pure.

The order of checks is the order a marketer asks "why was this not sent?": a test event with
nowhere safe to go, then consent,
then the platform's time window, then the data the platform requires, then the strategy's
identifier rule, then the destination's rollout share. Only an event that passes all of them
goes on to claim its dedup key.

The rollout share comes last on purpose: it is drawn from the events that would otherwise be
sent, so ``skipped.rollout`` against ``decided.send`` in the history is exactly the share
(10 % in, 90 % out), and an event the platform could not take anyway keeps its real reason
instead of hiding behind "outside the share". Test events (``test_mode``) are never held back:
testing with a test channel comes before a rollout. An event held back claims no dedup key, so
it can still be sent once the share grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from signalmesh.connector import Connector, Destination
from signalmesh.policy.rollout import in_rollout, rollout_detail
from signalmesh.v1 import event_pb2, policy_pb2


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: int
    reason: int
    detail: str

    @property
    def send(self) -> bool:
        return self.decision == policy_pb2.DECISION_SEND


ELIGIBLE = Verdict(policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE, "eligible")


def skip(reason: int, detail: str) -> Verdict:
    return Verdict(policy_pb2.DECISION_SKIP, reason, detail)


def judge(
    item: policy_pb2.DecisionInput, connector: Connector, destination: Destination, strategy: str, now: float
) -> Verdict:
    """SEND/SKIP for ``item`` under ``strategy``, ignoring deduplication."""
    if item.test_mode and connector.test_channel(destination) is None:
        return skip(
            policy_pb2.REASON_NO_TEST_CHANNEL,
            f"{destination.name} has no test channel ({connector.name}): "
            "a test event is never sent as a live one",
        )
    if item.consent.ad_user_data == event_pb2.CONSENT_STATUS_DENIED:
        return skip(
            policy_pb2.REASON_CONSENT_DENIED, "consent.ad_user_data is DENIED: no user data may be shared"
        )

    event_time = item.event_time.seconds + item.event_time.nanos / 1e9
    max_age = connector.limits.max_age_for(item.action_source)
    age = now - event_time
    if age > max_age.total_seconds():
        return skip(
            policy_pb2.REASON_TOO_OLD,
            f"event_time is {_human(age)} old; "
            f"{connector.name} accepts events up to {_human(max_age.total_seconds())} old",
        )
    if -age > connector.limits.max_future_skew.total_seconds():
        return skip(
            policy_pb2.REASON_IN_FUTURE,
            f"event_time is {_human(-age)} in the future; check the client's clock",
        )

    identifiers = frozenset(item.identifiers)
    required = connector.required_identifiers.get(item.action_source, frozenset())
    if missing := sorted(required - identifiers):
        source = event_pb2.ActionSource.Name(item.action_source).removeprefix("ACTION_SOURCE_").lower()
        return skip(
            policy_pb2.REASON_MISSING_REQUIRED_FIELD,
            f"{connector.name} requires {', '.join(missing)} for {source} events",
        )

    rule = connector.eligibility.get(strategy)
    if rule is not None and not rule.is_satisfied_by(identifiers):
        return skip(rule.reason, rule.detail)
    if not item.test_mode and not in_rollout(item.event_id, destination.rollout_percent):
        return skip(policy_pb2.REASON_ROLLOUT, rollout_detail(destination.rollout_percent, destination.name))
    if rule is not None and (path := rule.path_taken(identifiers)):
        # Which of the rule's alternatives let it through (Google Ads: the click, or enhanced
        # conversions' hashed email or phone), recorded with the status.
        return Verdict(policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE, f"eligible ({strategy}): {path}")
    return ELIGIBLE


def _human(seconds: float) -> str:
    delta = timedelta(seconds=round(abs(seconds)))
    if delta >= timedelta(days=1):
        return f"{delta.total_seconds() / 86400:.1f} days"
    if delta >= timedelta(hours=1):
        return f"{delta.total_seconds() / 3600:.1f} h"
    return f"{int(delta.total_seconds())} s"
