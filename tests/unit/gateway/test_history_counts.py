"""What one batch adds to the history: pure counts over the batch's own data."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination, MatchQuality, Outcome, OutcomeKind
from signalmesh.gateway.accept import EventOutcome
from signalmesh.gateway.history_counts import (
    UNROUTED,
    count_checked,
    count_completed,
    count_decided,
    dead_letter_reason,
    refusal_reason,
    retry_reason,
)
from signalmesh.gateway.validate import Report
from signalmesh.monitoring import history
from signalmesh.store.base import DeliveryResult
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

from tests.support.fake_connector import FakeConnector

NOW = 1_800_003_600.0 + 125  # two minutes into an hour
HOUR = history.hour_start(NOW)
DESTINATIONS = {
    "live": Destination("live", "fake", {"url": "https://example.test/events"}),
    "staging": Destination("staging", "fake", {"url": "https://example.test/events"}, test_mode=True),
}


def outcome(event_id: str, *, destinations: tuple[str, ...] = (), rule: str = "") -> EventOutcome:
    event = event_pb2.ConversionEvent(event_id=event_id, event_name="Lead", destinations=destinations)
    report = Report()
    if rule:
        report.error("value", rule, "bad")
        report.error("currency", "currency.required", "also bad")
    return EventOutcome(event, report)


def counters(delta: history.HistoryDelta, destination: str, mode: str = history.LIVE) -> dict[str, float]:
    return delta.counts.get(history.BucketKey(HOUR, destination, "Lead", mode), {})


def test_received_and_rejected_count_per_routed_destination_by_the_first_broken_rule() -> None:
    delta = count_checked(
        [outcome("a"), outcome("b", destinations=("live",), rule="value.decimal")], DESTINATIONS, NOW
    )
    assert counters(delta, "live") == {history.RECEIVED: 2, "rejected.value.decimal": 1}
    # The staging destination is test mode: its counts never mix with live ones.
    assert counters(delta, "staging", history.TEST) == {history.RECEIVED: 1}
    assert counters(delta, "staging") == {}


def test_a_stale_accepted_event_is_counted_per_routed_destination() -> None:
    late = outcome("late", destinations=("live",))
    late.report.warn("event_time", "event_time.stale", "arrived 2 h after the event happened")
    other_warning = outcome("zero")
    other_warning.report.warn("value", "value.zero", "is 0")
    delta = count_checked([late, other_warning, outcome("fresh")], DESTINATIONS, NOW)
    assert counters(delta, "live") == {history.RECEIVED: 3, history.STALE: 1}
    assert counters(delta, "staging", history.TEST) == {history.RECEIVED: 2}


def test_a_rejected_event_is_never_counted_stale() -> None:
    rejected = outcome("old", rule="value.decimal")
    rejected.report.warn("event_time", "event_time.stale", "arrived 2 h after the event happened")
    assert history.STALE not in counters(count_checked([rejected], DESTINATIONS, NOW), "live")


def test_an_event_routed_nowhere_is_still_counted() -> None:
    delta = count_checked(
        [outcome("a", destinations=("gone",), rule="destinations.unknown")], DESTINATIONS, NOW
    )
    assert counters(delta, UNROUTED) == {history.RECEIVED: 1, "rejected.destinations.unknown": 1}


def prepared(
    event_id: str, *, identifiers: tuple[str, ...] = ("email",), value: str = ""
) -> event_pb2.PreparedEvent:
    return event_pb2.PreparedEvent(
        event_id=event_id,
        event_name="Lead",
        destination="live",
        connector="fake",
        event_time=timestamp_pb2.Timestamp(seconds=int(NOW - 90)),
        identifiers=identifiers,
        value=value,
        currency="EUR" if value else "",
    )


def test_decisions_count_sends_with_their_match_quality_and_skips_by_reason() -> None:
    events = [prepared("a"), prepared("b"), prepared("c")]
    decisions = [
        policy_pb2.DecisionOutput(decision=policy_pb2.DECISION_SEND, reason=policy_pb2.REASON_ELIGIBLE),
        policy_pb2.DecisionOutput(decision=policy_pb2.DECISION_SEND, reason=policy_pb2.REASON_ELIGIBLE),
        policy_pb2.DecisionOutput(decision=policy_pb2.DECISION_SKIP, reason=policy_pb2.REASON_DUPLICATE),
    ]
    qualities = [MatchQuality(6.5), MatchQuality(3.5), MatchQuality(9.0)]
    delta = count_decided(events, decisions, qualities, NOW)
    assert counters(delta, "live") == {
        history.DECIDED_SEND: 2,
        history.MATCH_QUALITY_SUM: 10.0,  # the skipped event's quality is not counted
        history.MATCH_QUALITY_COUNT: 2,
        "skipped.duplicate": 1,
    }


def result(event_id: str, state: int, response: str = "") -> DeliveryResult:
    return DeliveryResult(f"entry-{event_id}", event_id, "live", state, response)


def test_completed_entries_count_their_fate_and_delivered_ones_become_delivery_records() -> None:
    answered = [
        (
            result("clicked", gateway_pb2.DELIVERY_STATE_DELIVERED),
            Outcome("clicked", OutcomeKind.DELIVERED),
            prepared("clicked", identifiers=("email", "click"), value="10.50"),
        ),
        (
            result("no-click", gateway_pb2.DELIVERY_STATE_DELIVERED),
            Outcome("no-click", OutcomeKind.DELIVERED),
            prepared("no-click", value="4.50"),
        ),
        (
            result("refused", gateway_pb2.DELIVERY_STATE_REJECTED),
            Outcome("refused", OutcomeKind.REJECTED, code="100", field="user_data.em"),
            prepared("refused"),
        ),
        (
            result("later", gateway_pb2.DELIVERY_STATE_RETRYING),
            Outcome("later", OutcomeKind.RETRY, code="503"),
            prepared("later"),
        ),
        (
            result("old", gateway_pb2.DELIVERY_STATE_DEAD_LETTERED, "expired: the platform accepts ..."),
            Outcome("old", OutcomeKind.RETRY, code="500"),
            prepared("old"),
        ),
    ]
    delta, deliveries = count_completed(answered, FakeConnector(), NOW)
    assert counters(delta, "live") == {
        history.DELIVERED: 2,
        history.DELIVERED_NO_CLICK_ID: 1,
        "value.EUR": 15.0,
        "latency.le.300": 2,  # 90 s after event_time
        "refused.100:user_data.em": 1,
        "retried.5xx": 1,
        "dead_lettered.expired": 1,
    }
    assert [(record.event_id, record.has_click_id, record.value) for record in deliveries] == [
        ("clicked", True, "10.50"),
        ("no-click", False, "4.50"),
    ]
    assert deliveries[0].event_time == NOW - 90 and deliveries[0].delivered_at == NOW


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (Outcome("e", OutcomeKind.RETRY, code="429"), "429"),
        (Outcome("e", OutcomeKind.RETRY, code="502"), "5xx"),
        (Outcome("e", OutcomeKind.RETRY, message="timeout after 10 s"), "timeout"),
        (Outcome("e", OutcomeKind.RETRY, message="connection refused"), "connection"),
        (Outcome("e", OutcomeKind.RETRY, code="401", credentials=True), "paused"),
    ],
)
def test_retry_reasons(outcome: Outcome, reason: str) -> None:
    assert retry_reason(outcome) == reason


def test_refusal_and_dead_letter_reasons() -> None:
    assert refusal_reason(Outcome("e", OutcomeKind.REJECTED)) == "unspecified"
    assert refusal_reason(Outcome("e", OutcomeKind.REJECTED, code="INVALID_ARGUMENT")) == "INVALID_ARGUMENT"
    assert dead_letter_reason("gave up after 24 h of retries (9 attempts) · retry") == "retry_horizon"
    assert dead_letter_reason("gave up after 5 attempts · retry") == "max_attempts"
    assert dead_letter_reason("something new") == "other"


def one_at_a_time(deltas: list[history.HistoryDelta]) -> list[tuple[history.BucketKey, str, float]]:
    merged = history.HistoryDelta()
    for delta in deltas:
        merged.merge(delta)
    return sorted(merged.items())


def test_a_mixed_batch_is_checked_as_its_events_would_be_one_at_a_time() -> None:
    """What a batch works out once (routes, modes, counter names) never leaks between events."""
    late = outcome("late", destinations=("staging",))
    late.report.warn("event_time", "event_time.stale", "arrived 2 h after the event happened")
    test_event = outcome("test")
    test_event.event.test_mode = True
    batch = [
        outcome("a"),
        outcome("b", destinations=("live",), rule="value.decimal"),
        late,
        test_event,
        outcome("c", destinations=("gone",), rule="destinations.unknown"),
        outcome("d", destinations=("staging", "live", "staging")),
        outcome("e", destinations=("live",), rule="currency.unknown"),
    ]
    together = count_checked(batch, DESTINATIONS, NOW)
    assert sorted(together.items()) == one_at_a_time(
        [count_checked([item], DESTINATIONS, NOW) for item in batch]
    )


def test_mixed_decisions_count_as_they_would_one_at_a_time_to_the_last_bit() -> None:
    events = [prepared(f"e{index}") for index in range(6)]
    events[2].test_mode = True
    events[4].destination = "staging"
    send = policy_pb2.DecisionOutput(decision=policy_pb2.DECISION_SEND, reason=policy_pb2.REASON_ELIGIBLE)
    decisions = [
        send,
        policy_pb2.DecisionOutput(decision=policy_pb2.DECISION_SKIP, reason=policy_pb2.REASON_DUPLICATE),
        send,
        send,
        policy_pb2.DecisionOutput(decision=policy_pb2.DECISION_SKIP, reason=policy_pb2.REASON_CONSENT_DENIED),
        send,
    ]
    # Scores whose float sum depends on the order it is added in.
    qualities = [MatchQuality(score) for score in (0.1, 9.0, 0.7, 0.2, 5.0, 0.3)]
    together = count_decided(events, decisions, qualities, NOW)
    singles = [
        count_decided([event], [decision], [quality], NOW)
        for event, decision, quality in zip(events, decisions, qualities, strict=True)
    ]
    assert sorted(together.items()) == one_at_a_time(singles)
    assert counters(together, "live")[history.MATCH_QUALITY_SUM] == 0.0 + 0.1 + 0.2 + 0.3


def test_mixed_completions_count_as_they_would_one_at_a_time() -> None:
    """Click ids are told per event's own identifiers, latency per its own event_time."""
    old = prepared("old", identifiers=("click",), value="0.10")
    old.event_time.seconds = int(NOW - 3 * history.HOUR)
    test_event = prepared("test", value="0.20")
    test_event.test_mode = True
    answered = [
        (
            result("a", gateway_pb2.DELIVERY_STATE_DELIVERED),
            Outcome("a", OutcomeKind.DELIVERED),
            prepared("a"),
        ),
        (result("old", gateway_pb2.DELIVERY_STATE_DELIVERED), Outcome("old", OutcomeKind.DELIVERED), old),
        (
            result("b", gateway_pb2.DELIVERY_STATE_DELIVERED),
            Outcome("b", OutcomeKind.DELIVERED),
            prepared("b", identifiers=("email", "click"), value="0.20"),
        ),
        (
            result("test", gateway_pb2.DELIVERY_STATE_DELIVERED),
            Outcome("test", OutcomeKind.DELIVERED),
            test_event,
        ),
        (
            result("c", gateway_pb2.DELIVERY_STATE_DELIVERED),
            Outcome("c", OutcomeKind.DELIVERED),
            prepared("c", identifiers=("click",), value="0.30"),
        ),
        (
            result("later", gateway_pb2.DELIVERY_STATE_RETRYING),
            Outcome("later", OutcomeKind.RETRY, message="connection reset"),
            prepared("later"),
        ),
    ]
    delta, deliveries = count_completed(answered, FakeConnector(), NOW)
    singles = [count_completed([item], FakeConnector(), NOW) for item in answered]
    assert sorted(delta.items()) == one_at_a_time([single for single, _ in singles])
    assert deliveries == [record for _, records in singles for record in records]
    assert [record.has_click_id for record in deliveries] == [False, True, True, False, True]
    assert counters(delta, "live")["value.EUR"] == 0.0 + 0.1 + 0.2 + 0.3
