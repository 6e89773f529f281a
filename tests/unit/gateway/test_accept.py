"""The accept step is pure: checked events and policy's decisions in, outbox entries and statuses out."""

from __future__ import annotations

from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination, MatchQuality
from signalmesh.gateway.accept import (
    Acceptance,
    EventOutcome,
    TraceStamp,
    accept,
    check_event,
    key_of,
    warn_low_match_quality,
)
from signalmesh.gateway.validate import Report
from signalmesh.monitoring.quality_bands import WARN_BELOW
from signalmesh.store.base import NewEntry, StatusRecord
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

NOW = 1_800_000_000.0
DESTINATIONS = {"fake": Destination("fake", "fake", {"url": "https://example.test/events"})}
STAMP = TraceStamp(
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "0af7651916cd43dd8448eb211c80319c"
)


def event(event_id: str = "order-1") -> event_pb2.ConversionEvent:
    return event_pb2.ConversionEvent(
        event_id=event_id,
        event_name="Purchase",
        event_time=timestamp_pb2.Timestamp(seconds=int(NOW - 60)),
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="29.99",
        currency="USD",
        user_data=event_pb2.UserData(emails=["jane@example.com"], client_user_agent="Mozilla/5.0"),
    )


def prepared(
    event_id: str, destination: str = "fake", event_name: str = "Purchase"
) -> event_pb2.PreparedEvent:
    return event_pb2.PreparedEvent(
        event_id=event_id, event_name=event_name, destination=destination, connector="fake"
    )


def decision(event_id: str, kind: int, reason: int, detail: str = "") -> policy_pb2.DecisionOutput:
    return policy_pb2.DecisionOutput(
        event_id=event_id, destination="fake", decision=kind, reason=reason, detail=detail
    )


SEND = (policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE)
DUPLICATE = (policy_pb2.DECISION_SKIP, policy_pb2.REASON_DUPLICATE)
NO_CLICK = (policy_pb2.DECISION_SKIP, policy_pb2.REASON_MISSING_CLICK_ID)


def test_an_event_without_an_id_gets_a_generated_one_and_a_warning_when_asked():
    outcome = check_event(event(""), NOW, DESTINATIONS, {}, new_event_id=lambda: "sm-new")
    assert outcome.accepted
    assert outcome.event.event_id == "sm-new"
    [warning] = outcome.report.warnings
    assert (warning.field, warning.reason) == ("event_id", "event_id.generated")
    assert "sm-new" in warning.description


def test_an_event_without_an_id_is_rejected_when_no_id_is_generated():
    outcome = check_event(event(""), NOW, DESTINATIONS, {})
    assert not outcome.accepted
    assert [violation.reason for violation in outcome.report.violations] == ["event_id.required"]


def test_an_event_with_an_id_keeps_it_and_the_callers_message_is_not_changed():
    sent = event("")
    check_event(sent, NOW, DESTINATIONS, {}, new_event_id=lambda: "sm-new")
    assert sent.event_id == ""
    outcome = check_event(event("order-9"), NOW, DESTINATIONS, {}, new_event_id=lambda: "sm-new")
    assert outcome.event.event_id == "order-9"
    assert outcome.report.warnings == []


def test_low_match_quality_warns_per_destination_with_up_to_three_missing_identifiers():
    outcome = EventOutcome(event(), Report(), prepared=[prepared("e1", "low"), prepared("e1", "good")])
    warn_low_match_quality(
        outcome,
        [
            MatchQuality(score=3.5, missing=("em", "ph", "fbc", "fbp")),
            MatchQuality(score=8.0, missing=("ph",)),
        ],
    )
    [warning] = outcome.report.warnings
    assert (warning.field, warning.reason) == ("user_data", "match_quality.low")
    assert warning.description == "low: match quality 3.5/10 is below 6.0 (target 7.5–9); add em, ph, fbc"
    assert outcome.accepted, "a warning never rejects"


def test_the_practices_line_is_6_a_score_just_under_it_warns_and_6_itself_does_not():
    assert WARN_BELOW == 6.0
    outcome = EventOutcome(event(), Report(), prepared=[prepared("e1", "under"), prepared("e1", "at")])
    warn_low_match_quality(outcome, [MatchQuality(score=5.99), MatchQuality(score=6.0)])
    assert [warning.description.split(":")[0] for warning in outcome.report.warnings] == ["under"]


def test_the_readme_examples_score_of_4_1_warns_under_the_default_line():
    outcome = EventOutcome(event(), Report(), prepared=[prepared("e1", "meta")])
    warn_low_match_quality(outcome, [MatchQuality(score=4.1, missing=("em",))])
    [warning] = outcome.report.warnings
    assert "4.1/10 is below 6.0" in warning.description


def test_a_moved_line_warns_against_the_configured_value():
    outcome = EventOutcome(event(), Report(), prepared=[prepared("e1", "meta")])
    warn_low_match_quality(outcome, [MatchQuality(score=7.0)], warn_below=7.5)
    [warning] = outcome.report.warnings
    assert "7.0/10 is below 7.5" in warning.description
    quiet = EventOutcome(event(), Report(), prepared=[prepared("e1", "meta")])
    warn_low_match_quality(quiet, [MatchQuality(score=7.0)], warn_below=5.0)
    assert quiet.report.warnings == []


def test_an_event_accepted_past_stale_after_is_warned_with_its_delay():
    late = event()
    late.event_time.seconds = int(NOW - 2 * 3600)
    outcome = check_event(late, NOW, DESTINATIONS, {}, stale_after_seconds=3600)
    assert outcome.accepted
    [warning] = outcome.report.warnings
    assert (warning.field, warning.reason) == ("event_time", "event_time.stale")
    assert "2 h after the event happened" in warning.description and "1 h" in warning.description


def test_an_event_just_inside_stale_after_is_not_warned():
    recent = event()
    recent.event_time.seconds = int(NOW - 3600)
    assert check_event(recent, NOW, DESTINATIONS, {}, stale_after_seconds=3600).report.warnings == []
    # Without the setting (CheckEvent's callers in tests), nothing is stale.
    recent.event_time.seconds = int(NOW - 86400)
    assert check_event(recent, NOW, DESTINATIONS, {}).report.warnings == []


def test_an_unusable_optional_identifier_is_dropped_and_the_event_goes_on_without_it():
    sent = event()
    sent.user_data.client_ip_address = "999.1.2.3"
    sent.user_data.phones.extend(["+16505551212", "call me"])
    outcome = check_event(sent, NOW, DESTINATIONS, {})
    assert outcome.accepted
    assert {(item.field, item.reason) for item in outcome.report.warnings} == {
        ("user_data.client_ip_address", "ip.format"),
        ("user_data.phones[1]", "phone.format"),
    }
    assert all("goes to fake without it" in item.description for item in outcome.report.warnings)
    assert outcome.event.user_data.client_ip_address == ""
    assert list(outcome.event.user_data.phones) == ["+16505551212"]
    assert list(outcome.event.user_data.emails) == ["jane@example.com"]
    assert sent.user_data.client_ip_address == "999.1.2.3", "the caller's message is not changed"


def test_a_send_is_an_outbox_entry_and_a_pending_status_in_the_decisions_trace():
    [one] = [prepared("e1")]
    acceptance = accept([one], [decision("e1", *SEND, detail="eligible")], [STAMP], NOW)
    assert acceptance.entries == [
        NewEntry("fake", "e1", "Purchase", one.SerializeToString(), STAMP.traceparent)
    ]
    assert acceptance.statuses == [
        StatusRecord(
            "e1",
            "fake",
            "Purchase",
            policy_pb2.DECISION_SEND,
            policy_pb2.REASON_ELIGIBLE,
            "eligible",
            gateway_pb2.DELIVERY_STATE_PENDING,
            trace_id=STAMP.trace_id,
            updated_at=NOW,
        )
    ]
    assert acceptance.destinations == {"fake"}
    assert acceptance.enqueued == {key_of(one)}


def test_a_skip_is_a_skipped_status_and_no_entry():
    acceptance = accept(
        [prepared("e1")], [decision("e1", *NO_CLICK, detail="needs a click id")], [STAMP], NOW
    )
    assert acceptance.entries == []
    [status] = acceptance.statuses
    assert (status.state, status.reason, status.detail) == (
        gateway_pb2.DELIVERY_STATE_SKIPPED,
        policy_pb2.REASON_MISSING_CLICK_ID,
        "needs a click id",
    )
    assert acceptance.destinations == set()


def test_each_status_keeps_its_events_match_quality_sends_and_skips_alike():
    acceptance = accept(
        [prepared("e1"), prepared("e2")],
        [decision("e1", *SEND), decision("e2", *NO_CLICK)],
        [STAMP, STAMP],
        NOW,
        [MatchQuality(6.6, ("phone",)), MatchQuality(8.2)],
    )
    assert [(status.event_id, status.match_quality) for status in acceptance.statuses] == [
        ("e1", 6.6),
        ("e2", 8.2),
    ]
    [unknown] = accept([prepared("e3")], [decision("e3", *SEND)], [STAMP], NOW).statuses
    assert unknown.match_quality == 0.0


def test_a_duplicate_writes_nothing_so_the_first_copys_status_stands():
    acceptance = accept(
        [prepared("e1"), prepared("e2")],
        [decision("e1", *DUPLICATE), decision("e2", *SEND)],
        [STAMP, STAMP],
        NOW,
    )
    assert [entry.event_id for entry in acceptance.entries] == ["e2"]
    assert [status.event_id for status in acceptance.statuses] == ["e2"]


def test_an_empty_batch_writes_nothing():
    assert accept([], [], [], NOW) == Acceptance()


def test_one_id_under_two_event_names_is_two_keys():
    assert key_of(prepared("e1", event_name="Purchase")) != key_of(
        prepared("e1", event_name="AddPaymentInfo")
    )
