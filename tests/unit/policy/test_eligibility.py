"""Eligibility is pure: consent, time window, required identifiers, then the strategy's rule."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination
from signalmesh.policy.eligibility import judge
from signalmesh.v1 import event_pb2, policy_pb2

from tests.support.fake_connector import FakeConnector

NOW = 1_800_000_000.0
DESTINATION = Destination(name="fake", connector="fake", settings={"url": "http://x"})


def item(
    *identifiers: str,
    age_seconds: float = 60,
    source: int = event_pb2.ACTION_SOURCE_APP,
    denied: bool = False,
):
    return policy_pb2.DecisionInput(
        event_id="e1",
        event_name="Purchase",
        destination="fake",
        connector="fake",
        event_time=timestamp_pb2.Timestamp(seconds=int(NOW - age_seconds)),
        action_source=source,
        identifiers=identifiers,
        consent=event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_DENIED if denied else 0),
    )


@pytest.mark.parametrize(
    ("strategy", "identifiers", "decision", "reason"),
    [
        ("strict", ("click",), policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE),
        ("strict", ("email",), policy_pb2.DECISION_SKIP, policy_pb2.REASON_MISSING_CLICK_ID),
        ("send_all", ("email",), policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE),
        ("send_all", (), policy_pb2.DECISION_SKIP, policy_pb2.REASON_INSUFFICIENT_USER_DATA),
    ],
)
def test_strategy_rules_decide_by_identifiers_present(strategy, identifiers, decision, reason):
    verdict = judge(item(*identifiers), FakeConnector(), DESTINATION, strategy, NOW)
    assert (verdict.decision, verdict.reason) == (decision, reason)


def test_denied_consent_skips_even_an_eligible_event():
    verdict = judge(item("click", denied=True), FakeConnector(), DESTINATION, "strict", NOW)
    assert verdict.reason == policy_pb2.REASON_CONSENT_DENIED


def test_event_older_than_the_platform_window_is_skipped_with_its_age():
    verdict = judge(item("click", age_seconds=3 * 86400), FakeConnector(), DESTINATION, "strict", NOW)
    assert verdict.reason == policy_pb2.REASON_TOO_OLD
    assert "3.0 days" in verdict.detail and "2.0 days" in verdict.detail


def test_event_in_the_future_beyond_skew_is_skipped():
    verdict = judge(item("click", age_seconds=-3600), FakeConnector(), DESTINATION, "strict", NOW)
    assert verdict.reason == policy_pb2.REASON_IN_FUTURE


def test_website_event_without_required_identifier_names_it():
    verdict = judge(
        item("click", source=event_pb2.ACTION_SOURCE_WEBSITE), FakeConnector(), DESTINATION, "strict", NOW
    )
    assert verdict.reason == policy_pb2.REASON_MISSING_REQUIRED_FIELD
    assert "user_agent" in verdict.detail and "website" in verdict.detail


def test_a_test_event_is_skipped_where_there_is_no_test_channel():
    test_item = item("click")
    test_item.test_mode = True
    no_channel = Destination(name="fake", connector="fake", settings={"url": "http://x"})
    assert (
        judge(test_item, FakeConnector(), no_channel, "strict", NOW).reason
        == policy_pb2.REASON_NO_TEST_CHANNEL
    )
    with_channel = Destination(
        name="fake", connector="fake", settings={"url": "http://x", "test_url": "http://t"}
    )
    assert judge(test_item, FakeConnector(), with_channel, "strict", NOW).reason == policy_pb2.REASON_ELIGIBLE
