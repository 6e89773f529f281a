"""What each strategy would have sent of a batch, whichever was in effect: pure counts."""

from __future__ import annotations

from dataclasses import replace

from signalmesh.connector import Destination
from signalmesh.gateway.strategy_counts import count_strategies
from signalmesh.monitoring import history
from signalmesh.policy.rollout import in_rollout
from signalmesh.v1 import event_pb2, policy_pb2

from tests.support.fake_connector import FakeConnector

NOW = 1_800_003_600.0 + 125
DESTINATIONS = {"live": Destination("live", "fake", {"url": "https://example.test/events"})}
SEND, SKIP = policy_pb2.DECISION_SEND, policy_pb2.DECISION_SKIP
STRICT, SEND_ALL = policy_pb2.STRATEGY_STRICT, policy_pb2.STRATEGY_SEND_ALL


def prepared(event_id: str, *identifiers: str, value: str = "10.00") -> event_pb2.PreparedEvent:
    return event_pb2.PreparedEvent(
        event_id=event_id,
        event_name="Purchase",
        destination="live",
        connector="fake",
        identifiers=identifiers,
        value=value,
        currency="EUR" if value else "",
    )


def decided(decision: int, reason: int, strategy: int) -> policy_pb2.DecisionOutput:
    return policy_pb2.DecisionOutput(decision=decision, reason=reason, strategy=strategy)


def counted(events, decisions, destinations=DESTINATIONS) -> dict[str, float]:
    delta = count_strategies(events, decisions, lambda name: FakeConnector(), destinations, NOW)
    return dict(delta.counts.get(history.BucketKey(history.hour_start(NOW), "live", "Purchase"), {}))


def test_under_strict_a_skipped_event_with_an_email_counts_for_send_all_only() -> None:
    events = [prepared("clicked", "click", "email"), prepared("organic", "email", value="5.50")]
    decisions = [
        decided(SEND, policy_pb2.REASON_ELIGIBLE, STRICT),
        decided(SKIP, policy_pb2.REASON_MISSING_CLICK_ID, STRICT),
    ]
    assert counted(events, decisions) == {
        "would_send.strict": 1,
        "would_send_value.strict.EUR": 10.0,
        "would_send.send_all": 2,
        "would_send_value.send_all.EUR": 15.5,
    }


def test_under_send_all_an_event_without_a_click_id_counts_for_send_all_only() -> None:
    events = [prepared("organic", "email"), prepared("bare", value="")]
    decisions = [
        decided(SEND, policy_pb2.REASON_ELIGIBLE, SEND_ALL),
        decided(SKIP, policy_pb2.REASON_INSUFFICIENT_USER_DATA, SEND_ALL),
    ]
    assert counted(events, decisions) == {"would_send.send_all": 1, "would_send_value.send_all.EUR": 10.0}


def test_skips_both_strategies_share_count_for_neither() -> None:
    events = [prepared("dup", "click"), prepared("old", "click"), prepared("denied", "click")]
    decisions = [
        decided(SKIP, policy_pb2.REASON_DUPLICATE, STRICT),
        decided(SKIP, policy_pb2.REASON_TOO_OLD, STRICT),
        decided(SKIP, policy_pb2.REASON_CONSENT_DENIED, SEND_ALL),
    ]
    assert counted(events, decisions) == {}


def test_an_event_outside_the_rollout_share_counts_for_neither_strategy() -> None:
    destinations = {"live": replace(DESTINATIONS["live"], rollout_percent=50)}
    ids = [f"order-{number}" for number in range(100)]
    outside = next(event_id for event_id in ids if not in_rollout(event_id, 50))
    inside = next(event_id for event_id in ids if in_rollout(event_id, 50))
    # Skipped by strict's rule: send_all would have sent it only inside the share.
    events = [prepared(outside, "email"), prepared(inside, "email")]
    decisions = [decided(SKIP, policy_pb2.REASON_MISSING_CLICK_ID, STRICT)] * 2
    assert counted(events, decisions, destinations)["would_send.send_all"] == 1


def test_a_mixed_batch_counts_as_its_events_would_one_at_a_time() -> None:
    """Eligibility worked out once per set of identifier names never leaks between events, and
    value sums match adding each event's value in turn to the last bit."""
    events = [
        prepared("a", "click", "email", value="0.10"),
        prepared("b", "email", value="0.20"),
        prepared("c", value="0.70"),
        prepared("d", "email", "click", value="0.30"),
        prepared("e", "click"),
        prepared("f", "click", value=""),
    ]
    events[3].test_mode = True
    events[4].currency = "USD"
    events[4].value = "3.00"
    decisions = [
        decided(SEND, policy_pb2.REASON_ELIGIBLE, STRICT),
        decided(SKIP, policy_pb2.REASON_MISSING_CLICK_ID, STRICT),
        decided(SKIP, policy_pb2.REASON_INSUFFICIENT_USER_DATA, SEND_ALL),
        decided(SEND, policy_pb2.REASON_ELIGIBLE, SEND_ALL),
        decided(SEND, policy_pb2.REASON_ELIGIBLE, STRICT),
        decided(SKIP, policy_pb2.REASON_DUPLICATE, STRICT),
    ]
    together = count_strategies(events, decisions, lambda name: FakeConnector(), DESTINATIONS, NOW)
    merged = history.HistoryDelta()
    for event, decision in zip(events, decisions, strict=True):
        merged.merge(count_strategies([event], [decision], lambda name: FakeConnector(), DESTINATIONS, NOW))
    assert sorted(together.items()) == sorted(merged.items())
    assert counted(events, decisions)["would_send_value.send_all.EUR"] == 0.0 + 0.1 + 0.2
