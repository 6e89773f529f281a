"""Eligibility is pure: consent, time window, required identifiers, then the strategy's rule."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination
from signalmesh.plugins import load_registry
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


def test_a_rule_with_paths_records_which_path_made_the_event_eligible():
    """Google Ads strict: the click, or enhanced conversions' hashed email; the detail says which."""
    google_ads = load_registry().get("google_ads")
    destination = Destination(name="gads", connector="google_ads", settings={})
    by_click = judge(item("click_id", "conversion_action"), google_ads, destination, "strict", NOW)
    by_email = judge(item("email", "conversion_action"), google_ads, destination, "strict", NOW)
    neither = judge(item("conversion_action"), google_ads, destination, "strict", NOW)
    assert (by_click.decision, by_click.reason) == (policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE)
    assert by_click.detail == "eligible (strict): the click id (gclid, wbraid or gbraid)"
    assert (by_email.decision, by_email.reason) == (policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE)
    assert by_email.detail == "eligible (strict): enhanced conversions: a hashed email, no click id"
    assert (neither.decision, neither.reason) == (
        policy_pb2.DECISION_SKIP,
        policy_pb2.REASON_MISSING_CLICK_ID,
    )


def test_ga4_needs_its_client_id_in_both_strategies_even_with_a_hashed_email():
    ga4 = load_registry().get("ga4")
    destination = Destination(name="ga4", connector="ga4", settings={})
    for strategy in ("strict", "send_all"):
        without = judge(item("email", "phone"), ga4, destination, strategy, NOW)
        assert (without.decision, without.reason) == (
            policy_pb2.DECISION_SKIP,
            policy_pb2.REASON_MISSING_REQUIRED_FIELD,
        )
        assert "ga_client_id" in without.detail
        assert judge(item("client_id"), ga4, destination, strategy, NOW).send


def test_a_rule_without_paths_keeps_the_plain_eligible_detail():
    assert judge(item("click"), FakeConnector(), DESTINATION, "strict", NOW).detail == "eligible"
