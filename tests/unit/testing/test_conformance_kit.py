"""The conformance kit catches broken connectors: each toy breaks one rule, and exactly the suite
tests for that rule fail; a correct toy passes every test. Runs the suite with ``pytester``."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from signalmesh.testing import personal, request_inspection
from signalmesh.v1 import event_pb2

pytest_plugins = ["pytester"]

# A small webhook connector that keeps every rule, and broken variants of it, importable by the
# generated test modules as ``toys``.
TOYS = """
from __future__ import annotations

import time
import uuid
from datetime import timedelta

from signalmesh.connector import (
    SEND_ALL, STRICT, ConfigField, Destination, EligibilityRule, HttpRequest, HttpResponse, Limits,
    MatchQuality, Outcome, OutcomeKind, TransportFailure, canonical_json, json_array,
    retry_after_seconds,
)
from signalmesh.normalize.text import digits_only, sha256_hex
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2, policy_pb2


class ToyConnector:
    name = "toy"
    description = "a webhook connector that keeps every rule"
    config_schema = (ConfigField("url", "where to POST"), ConfigField("api_token", "bearer", secret=True))
    limits = Limits(max_events_per_request=2, max_event_age=timedelta(days=7))
    eligibility = {
        STRICT: EligibilityRule((frozenset({"email"}),), policy_pb2.REASON_MISSING_CLICK_ID, "needs email"),
        SEND_ALL: EligibilityRule(
            (frozenset({"email"}), frozenset({"phone"})),
            policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            "email or phone",
        ),
    }
    required_identifiers = {}

    def payload(self, event):
        user = event.user_data
        return {
            "event_id": event.event_id,
            "email": [sha256_hex(email.strip().lower()) for email in user.emails],
            "phone": [sha256_hex(digits_only(phone)) for phone in user.phones],
            "name": sha256_hex(f"{user.first_name} {user.last_name}".lower()),
            "city": sha256_hex(user.city.lower()),
        }

    def prepare(self, event, destination):
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id, event_name=event.event_name, destination=destination.name,
            connector=self.name, action_source=event.action_source,
            identifiers=[name for name in ("email", "phone") if self.payload(event)[name]],
        )
        prepared.event_time.CopyFrom(event.event_time)
        prepared.payload_json = canonical_json(self.payload(event))
        return prepared

    def match_quality(self, prepared):
        return MatchQuality(5.0, ())

    def test_channel(self, destination):
        return None

    def body(self, chunk):
        return b'{"events":' + json_array(prepared.payload_json for prepared in chunk) + b"}"

    def build_requests(self, batch, destination):
        size = self.limits.max_events_per_request
        headers = {"Authorization": "Bearer " + destination.setting("api_token")}
        return [
            HttpRequest("POST", destination.setting("url"), headers, self.body(batch[start : start + size]),
                        tuple(prepared.event_id for prepared in batch[start : start + size]))
            for start in range(0, len(batch), size)
        ]

    def kind(self, status):
        if 200 <= status < 300:
            return OutcomeKind.DELIVERED
        return OutcomeKind.RETRY if status in (408, 429) or status >= 500 else OutcomeKind.REJECTED

    def classify(self, request, response):
        if isinstance(response, TransportFailure):
            return [Outcome(event_id, OutcomeKind.RETRY, response.value) for event_id in request.event_ids]
        message = response.body.decode("utf-8", "replace")[:300] or f"HTTP {response.status}"
        return [
            Outcome(
                event_id,
                self.kind(response.status),
                message,
                retry_after=retry_after_seconds(response.headers),
            )
            for event_id in request.event_ids
        ]


class LeakyConnector(ToyConnector):
    def payload(self, event):
        return {**super().payload(event), "contact": event.user_data.emails[0]}


class OversizedConnector(ToyConnector):
    def build_requests(self, batch, destination):
        return [HttpRequest("POST", destination.setting("url"), {}, self.body(batch),
                            tuple(prepared.event_id for prepared in batch))] if batch else []


class OptimisticConnector(ToyConnector):
    def kind(self, status):
        return OutcomeKind.DELIVERED if status == 503 else super().kind(status)


class RestlessConnector(ToyConnector):
    def body(self, chunk):
        return super().body(chunk)[:-1] + b',"request_id":"' + uuid.uuid4().hex.encode() + b'"}'


class ClockReadingConnector(ToyConnector):
    def payload(self, event):
        return {**super().payload(event), "prepared_at": time.time_ns()}


class ImpatientConnector(ToyConnector):
    def classify(self, request, response):
        return [Outcome(o.event_id, o.kind, o.message) for o in super().classify(request, response)]


class PlainTokenConnector(ToyConnector):
    config_schema = (ConfigField("url", "where to POST"), ConfigField("api_token", "bearer"))


class ToySuite(ConformanceSuite):
    malformed_2xx_kinds = frozenset(OutcomeKind)

    def destination(self, sandbox_url):
        return Destination("toy", "toy", {"url": f"{sandbox_url}/webhook/toy", "api_token": "t0ken"})

    def sample_events(self, now):
        event = event_pb2.ConversionEvent(event_id="toy-1", event_name="Purchase")
        event.event_time.FromSeconds(int(now) - 60)
        event.user_data.emails.append("Jane.Doe@Example.com")
        event.user_data.phones.append("+1 650 555 1212")
        event.user_data.first_name, event.user_data.last_name = "Janet", "Doe-Smith"
        event.user_data.city = "Springfield"
        second = event_pb2.ConversionEvent()
        second.CopyFrom(event)
        second.event_id = "toy-2"
        return [event, second]

    def rejection_response(self, request):
        return HttpResponse(422, {}, b'{"error": "events[0]: value must be a number"}')
"""


def run_suite(pytester: pytest.Pytester, connector: str) -> tuple[set[str], set[str]]:
    """Run the suite against ``toys.<connector>``; the names of the passed and failed tests."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(toys=TOYS)
    pytester.makepyfile(
        test_toy=f"from toys import {connector}, ToySuite\n\n"
        f"class TestToyConformance(ToySuite):\n    connector = {connector}()\n"
    )
    pytester.syspathinsert()
    passed, skipped, failed = pytester.inline_run("-p", "no:cacheprovider").listoutcomes()
    assert skipped == []

    def names(reports: Sequence[pytest.TestReport | pytest.CollectReport]) -> set[str]:
        return {report.nodeid.rpartition("::")[2] for report in reports}

    return names(passed), names(failed)


def test_a_correct_connector_passes_every_test_of_the_suite(pytester: pytest.Pytester) -> None:
    passed, failed = run_suite(pytester, "ToyConnector")
    assert failed == set()
    assert "test_sample_payloads_are_accepted_by_the_sandbox" in passed
    assert len(passed) >= 30


@pytest.mark.parametrize(
    ("connector", "expected_failures"),
    [
        ("LeakyConnector", {"test_no_raw_personal_value_leaves_prepare_or_build_requests"}),
        ("OversizedConnector", {"test_batch_over_the_limit_is_split_and_carries_every_event_once"}),
        ("OptimisticConnector", {"test_server_errors_are_retried[503]"}),
        ("RestlessConnector", {"test_build_requests_is_deterministic_and_leaves_its_input_unchanged"}),
        (
            "ClockReadingConnector",
            {
                "test_prepare_is_deterministic_and_leaves_its_input_unchanged",
                "test_build_requests_is_deterministic_and_leaves_its_input_unchanged",
            },
        ),
        ("ImpatientConnector", {"test_429_is_retried_no_sooner_than_retry_after"}),
        ("PlainTokenConnector", {"test_config_schema_marks_token_like_settings_secret"}),
    ],
)
def test_a_connector_breaking_one_rule_fails_exactly_the_tests_for_that_rule(
    pytester: pytest.Pytester, connector: str, expected_failures: set[str]
) -> None:
    passed, failed = run_suite(pytester, connector)
    assert failed == expected_failures
    assert "test_sample_payloads_are_accepted_by_the_sandbox" in passed


def test_personal_values_cover_every_form_a_leak_can_take() -> None:
    user = event_pb2.UserData(
        emails=[" Jane.Doe@Example.com "],
        phones=["(650) 555-1212"],
        first_name="Élodie",
        last_name="Li",  # too short to search for: it occurs inside other words
        city="Springfield",
        country="United States",
        external_ids=["a" * 64],  # already a digest: passing it through is the rule
    )
    values = personal.personal_values([event_pb2.ConversionEvent(user_data=user)])
    assert values == {
        "Jane.Doe@Example.com",
        "jane.doe@example.com",
        "6505551212",
        "+6505551212",
        "+16505551212",
        "16505551212",
        "Élodie",
        "élodie",
        "Springfield",
        "springfield",
    }


@pytest.mark.parametrize(
    "content",
    [
        b'{"email":"jane.doe@example.com"}',
        b'{"name":"\\u00e9lodie"}',
        "https://hooks.example/c?em=jane.doe%40example.com",
        b"em=jane.doe%40example.com&x=1",
        b'{"NAME":"\xc3\x89LODIE"}',
    ],
)
def test_find_leaks_sees_a_value_in_any_encoding_and_case(content: bytes | str) -> None:
    leaks = personal.find_leaks({"body": content}, {"jane.doe@example.com", "élodie"})
    assert len(leaks) == 1 and leaks[0].startswith("body contains")


def test_find_leaks_ignores_hashed_values() -> None:
    digest = "0" * 63 + "1"
    assert personal.find_leaks({"body": f'{{"em":"{digest}"}}'.encode()}, {"jane.doe@example.com"}) == []
    assert list(personal.sha256_digests_in(f'{{"em":["{digest}"]}}')) == [digest]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"events":[{"id":"evt-2"},{"id":"evt-10"},{"order_id":"evt-2"}]}', ["evt-2", "evt-10"]),
        (b'{"data":[{"event_id":"evt-1","label":"evt-1x"}]}', ["evt-1"]),
        (b"id=evt-10&id=evt-2&label=evt-1x", ["evt-10", "evt-2"]),
    ],
)
def test_event_ids_in_body_lists_each_candidate_once_in_body_order(body: bytes, expected: list[str]) -> None:
    assert request_inspection.event_ids_in_body(body, ["evt-1", "evt-2", "evt-10"]) == expected
