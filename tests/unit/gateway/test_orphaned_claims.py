"""Which DUPLICATE decisions the gateway checks, and how an orphaned claim's copy is sent instead."""

from __future__ import annotations

from signalmesh.gateway.accept import key_of
from signalmesh.gateway.orphaned_claims import ORPHAN_DETAIL, duplicates_to_check, resend, sent_keys
from signalmesh.v1 import event_pb2, policy_pb2


def prepared(event_id: str, event_name: str = "Purchase") -> event_pb2.PreparedEvent:
    return event_pb2.PreparedEvent(event_id=event_id, event_name=event_name, destination="meta")


def send(event_id: str) -> policy_pb2.DecisionOutput:
    return policy_pb2.DecisionOutput(
        event_id=event_id,
        destination="meta",
        decision=policy_pb2.DECISION_SEND,
        reason=policy_pb2.REASON_ELIGIBLE,
    )


def duplicate(event_id: str) -> policy_pb2.DecisionOutput:
    return policy_pb2.DecisionOutput(
        event_id=event_id,
        destination="meta",
        decision=policy_pb2.DECISION_SKIP,
        reason=policy_pb2.REASON_DUPLICATE,
        detail="already sent",
        strategy=policy_pb2.STRATEGY_STRICT,
    )


def test_a_duplicate_of_a_copy_sent_in_the_same_batch_needs_no_check():
    events = [prepared("a"), prepared("a"), prepared("b")]
    decisions = [send("a"), duplicate("a"), duplicate("b")]
    assert sent_keys(events, decisions) == {key_of(prepared("a"))}
    assert duplicates_to_check(events, decisions) == {key_of(prepared("b"))}


def test_the_event_name_is_part_of_the_key():
    events = [prepared("a", "Purchase"), prepared("a", "AddPaymentInfo")]
    assert duplicates_to_check(events, [send("a"), duplicate("a")]) == {key_of(events[1])}


def test_the_first_duplicate_of_an_orphaned_key_is_sent_once_and_says_why():
    events = [prepared("a"), prepared("a"), prepared("b")]
    decisions = [duplicate("a"), duplicate("a"), duplicate("b")]
    resent = resend(events, decisions, {key_of(prepared("a"))})
    assert resent[0] == policy_pb2.DecisionOutput(
        event_id="a",
        destination="meta",
        decision=policy_pb2.DECISION_SEND,
        reason=policy_pb2.REASON_ELIGIBLE,
        detail=ORPHAN_DETAIL,
        strategy=policy_pb2.STRATEGY_STRICT,
    )
    assert resent[1:] == decisions[1:], (
        "a repeat of the resent copy and a confirmed duplicate stay duplicates"
    )


def test_nothing_orphaned_changes_nothing():
    decisions = [duplicate("a"), send("b")]
    assert resend([prepared("a"), prepared("b")], decisions, set()) == decisions
