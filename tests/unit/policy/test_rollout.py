"""A destination's rollout share: a pure, stable choice by event id, checked after the
strategy's rule so the share is drawn from events that would otherwise be sent."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from signalmesh.policy.eligibility import judge
from signalmesh.policy.rollout import in_rollout, rollout_bucket
from signalmesh.v1 import policy_pb2

from tests.support.fake_connector import FakeConnector
from tests.unit.policy.test_eligibility import DESTINATION, NOW, item

IDS = [f"order-{number}" for number in range(20_000)]


def test_the_same_event_id_always_gets_the_same_answer():
    # SHA-256 of the id: no process salt (Python's hash() differs per process) and no state.
    expected = int.from_bytes(hashlib.sha256(b"order-1001").digest()[:8], "big") % 10_000
    assert rollout_bucket("order-1001") == expected


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_the_share_of_many_ids_is_close_to_the_percent(percent):
    share = sum(in_rollout(event_id, percent) for event_id in IDS) / len(IDS)
    assert share == pytest.approx(percent / 100, abs=0.01)


def test_zero_sends_none_and_a_hundred_sends_all():
    assert not any(in_rollout(event_id, 0) for event_id in IDS)
    assert all(in_rollout(event_id, 100) for event_id in IDS)


def test_raising_the_share_only_adds_events():
    inside_10 = {event_id for event_id in IDS if in_rollout(event_id, 10)}
    inside_25 = {event_id for event_id in IDS if in_rollout(event_id, 25)}
    assert inside_10 < inside_25


def outside(percent: float) -> str:
    return next(event_id for event_id in IDS if not in_rollout(event_id, percent))


def inside(percent: float) -> str:
    return next(event_id for event_id in IDS if in_rollout(event_id, percent))


def test_an_event_outside_the_share_is_skipped_with_the_share_explained():
    destination = replace(DESTINATION, rollout_percent=10)
    decision_input = item("click")
    decision_input.event_id = outside(10)
    verdict = judge(decision_input, FakeConnector(), destination, "strict", NOW)
    assert (verdict.decision, verdict.reason) == (policy_pb2.DECISION_SKIP, policy_pb2.REASON_ROLLOUT)
    assert verdict.detail.startswith("rollout 10 %: this event id is outside the share")
    assert "raise destinations.fake.rollout_percent" in verdict.detail

    decision_input.event_id = inside(10)
    assert judge(decision_input, FakeConnector(), destination, "strict", NOW).send


def test_an_event_the_strategy_refuses_keeps_its_own_reason_inside_or_outside_the_share():
    destination = replace(DESTINATION, rollout_percent=10)
    decision_input = item("email")
    decision_input.event_id = outside(10)
    verdict = judge(decision_input, FakeConnector(), destination, "strict", NOW)
    assert verdict.reason == policy_pb2.REASON_MISSING_CLICK_ID


def test_test_events_are_never_held_back_by_a_rollout():
    destination = replace(
        DESTINATION, rollout_percent=0, settings={**DESTINATION.settings, "test_url": "http://x/test"}
    )
    decision_input = item("click")
    decision_input.test_mode = True
    assert judge(decision_input, FakeConnector(), destination, "strict", NOW).send
