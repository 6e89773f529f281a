"""Retry timing and the one-line platform answer are pure rules of the dispatcher."""

from __future__ import annotations

import random

from signalmesh.config import DispatcherConfig
from signalmesh.connector import Outcome, OutcomeKind
from signalmesh.gateway.dispatcher import backoff_seconds, delivery_rounds, describe


def test_backoff_grows_exponentially_within_full_jitter_and_is_capped():
    config = DispatcherConfig(base_backoff_seconds=1.0, max_backoff_seconds=8.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        samples = [backoff_seconds(attempt, config, rng, None) for _ in range(200)]
        assert all(0 <= sample <= ceiling for sample in samples)
        assert max(samples) > ceiling * 0.8  # jitter spreads over the whole range


def test_retry_after_is_a_floor_for_the_backoff():
    config = DispatcherConfig(base_backoff_seconds=0.1, max_backoff_seconds=1.0)
    assert backoff_seconds(1, config, random.Random(1), 30.0) == 30.0


def test_describe_keeps_the_platforms_code_message_and_field():
    text = describe(
        Outcome(
            "e1",
            OutcomeKind.REJECTED,
            message="Event Timestamp Too Old",
            code="100/2804003",
            field="data[0].event_time",
        )
    )
    assert text == "rejected · code 100/2804003 · Event Timestamp Too Old · field data[0].event_time"


def test_events_sharing_an_id_never_travel_in_one_round():
    keys = [("a", "Purchase"), ("b", "Purchase"), ("a", "AddPaymentInfo"), ("a", "Lead"), ("c", "Lead")]
    assert delivery_rounds(keys) == [
        [("a", "Purchase"), ("b", "Purchase"), ("c", "Lead")],
        [("a", "AddPaymentInfo")],
        [("a", "Lead")],
    ]


def test_distinct_ids_are_one_round_in_their_order():
    keys = [("c", "Purchase"), ("a", "Purchase"), ("b", "Lead")]
    assert delivery_rounds(keys) == [keys]
    assert delivery_rounds([]) == []
