"""``ConformanceSuite``: the tests every connector passes, inherited by a class in its own tests.

DESIGN.md §3: purity, batch limits, hashing of every personal field, classification of 2xx /
4xx / 429 / 5xx / malformed bodies, and payloads accepted by the sandbox. A connector's test
class provides a connector, a destination, sample events and the platform's refusal; every
``test_*`` method below then runs against it (see ``signalmesh.testing`` for the how-to).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from typing import ClassVar

import pytest

from signalmesh.connector import (
    SEND_ALL,
    STRATEGY_NAMES,
    Connector,
    Destination,
    HttpRequest,
    HttpResponse,
    Outcome,
    OutcomeKind,
    TransportFailure,
    canonical_json,
    labels_of,
)
from signalmesh.policy.eligibility import judge
from signalmesh.sandbox import start_sandbox
from signalmesh.testing import personal
from signalmesh.testing.http import send
from signalmesh.testing.request_inspection import comparable, event_ids_in_body
from signalmesh.testing.suite_inputs import (
    CLASSIFY_CASES,
    MALFORMED_2XX_BODIES,
    OFFLINE_SANDBOX_URL,
    SECRET_NAME_PARTS,
    decision_input,
    distinct_events,
    snapshot,
)
from signalmesh.v1 import event_pb2

RETRY, REJECTED, DELIVERED = OutcomeKind.RETRY, OutcomeKind.REJECTED, OutcomeKind.DELIVERED


class ConformanceSuite:
    """Subclass as ``class TestAcmeConformance(ConformanceSuite)``; set ``connector`` and
    implement ``destination``, ``sample_events`` and ``rejection_response``."""

    connector: ClassVar[Connector]
    # What a 2xx whose body is empty or garbage may become. RETRY or REJECTED by default: a
    # platform that reports per-event errors in its 2xx body must not guess DELIVERED. A plain
    # webhook, for which any 2xx is a delivery, adds DELIVERED.
    malformed_2xx_kinds: ClassVar[frozenset[OutcomeKind]] = frozenset({RETRY, REJECTED})

    # ---- what the connector's test class provides ------------------------------------------

    def destination(self, sandbox_url: str) -> Destination:
        """A destination whose settings point at the sandbox (``base_url`` / ``url`` …)."""
        raise NotImplementedError("a ConformanceSuite subclass must implement destination(sandbox_url)")

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        """Valid events with raw personal data, eligible under ``send_all``, timed near ``now``."""
        raise NotImplementedError("a ConformanceSuite subclass must implement sample_events(now)")

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        """The platform's own answer refusing the first event of ``request`` (or all of it)."""
        raise NotImplementedError("a ConformanceSuite subclass must implement rejection_response(request)")

    # ---- optional overrides ----------------------------------------------------------------

    def personal_values(self, events: Sequence[event_pb2.ConversionEvent]) -> frozenset[str]:
        """Raw strings that must never leave ``prepare``; extend with ``super().personal_values``."""
        return personal.personal_values(events)

    def event_ids_in_body(self, request: HttpRequest, candidates: Collection[str]) -> list[str]:
        """The event ids the body carries, in order; override when ids are not JSON strings."""
        return event_ids_in_body(request.body, candidates)

    # ---- the declarative side ---------------------------------------------------------------

    def test_connector_satisfies_the_connector_protocol(self) -> None:
        assert isinstance(self.connector, Connector), f"{self.connector!r} lacks Connector members"
        assert self.connector.limits.max_events_per_request >= 1

    def test_eligibility_rules_exist_for_every_strategy(self) -> None:
        """DESIGN.md §1.3: rules are data per strategy; a missing rule would send everything."""
        for strategy in STRATEGY_NAMES:
            rule = self.connector.eligibility.get(strategy)
            assert rule is not None, f"no eligibility rule for strategy {strategy!r}"
            assert rule.any_of and all(rule.any_of), f"{strategy}: any_of needs non-empty alternatives"
            assert rule.detail.strip(), f"{strategy}: detail must tell the user what to add"

    def test_config_schema_marks_token_like_settings_secret(self) -> None:
        names = [field.name for field in self.connector.config_schema]
        assert len(names) == len(set(names)), f"duplicate settings in config_schema: {names}"
        leaky = [
            field.name
            for field in self.connector.config_schema
            if any(part in field.name.lower() for part in SECRET_NAME_PARTS) and not field.secret
        ]
        assert leaky == [], f"settings that look like credentials must be secret=True: {leaky}"

    def test_destination_sets_every_required_setting(self) -> None:
        settings = self.destination(OFFLINE_SANDBOX_URL).settings
        required = [field.name for field in self.connector.config_schema if field.required]
        # The core's rule (config.check_destinations): a table setting such as conversion_rules
        # arrives flattened as "conversion_rules.<event name>" keys, and any one of them sets it.
        present = {name for name, value in settings.items() if value} | {
            name.partition(".")[0] for name, value in settings.items() if value and "." in name
        }
        assert [name for name in required if name not in present] == []

    def test_test_channel_is_a_description_or_none(self) -> None:
        channel = self.connector.test_channel(self.destination(OFFLINE_SANDBOX_URL))
        assert channel is None or (isinstance(channel, str) and channel.strip()), repr(channel)

    # ---- sample events and policy -----------------------------------------------------------

    def test_sample_events_satisfy_send_all_and_required_identifiers(self) -> None:
        destination = self.destination(OFFLINE_SANDBOX_URL)
        rule = self.connector.eligibility[SEND_ALL]
        events = self._samples()
        for event, prepared in zip(events, self._prepare(events, destination), strict=True):
            identifiers = frozenset(prepared.identifiers)
            assert rule.is_satisfied_by(identifiers), (
                f"{event.event_id}: {rule.detail} (has {sorted(identifiers)})"
            )
            required = self.connector.required_identifiers.get(event.action_source, frozenset())
            assert required <= identifiers, f"{event.event_id}: missing {sorted(required - identifiers)}"

    def test_sample_events_are_sent_by_the_policy_under_send_all(self) -> None:
        """The policy's own judgement (test channel, consent, age window, rules) says SEND."""
        now = self._now()
        destination = self.destination(OFFLINE_SANDBOX_URL)
        for prepared in self._prepare(self._samples(now), destination):
            verdict = judge(decision_input(prepared), self.connector, destination, SEND_ALL, now)
            assert verdict.send, f"{prepared.event_id} would be skipped: {verdict.detail}"

    def test_every_identifier_match_quality_can_ask_for_has_a_label(self) -> None:
        """CheckEvent's advice names what to add in the connector's words (``identifier_labels``)."""
        labels = labels_of(self.connector)
        if labels:
            wanted = self.connector.match_quality(event_pb2.PreparedEvent()).missing
            assert [name for name in wanted if name not in labels] == [], "identifiers without a label"

    def test_match_quality_is_a_score_out_of_ten(self) -> None:
        for prepared in self._prepare(self._samples(), self.destination(OFFLINE_SANDBOX_URL)):
            quality = self.connector.match_quality(prepared)
            assert 0.0 <= quality.score <= 10.0, quality
            assert all(isinstance(name, str) and name for name in quality.missing), quality

    # ---- purity -----------------------------------------------------------------------------

    def test_prepare_is_deterministic_and_leaves_its_input_unchanged(self) -> None:
        destination = self.destination(OFFLINE_SANDBOX_URL)
        events = self._samples()
        before = [snapshot(event) for event in events]
        first = [snapshot(prepared) for prepared in self._prepare(events, destination)]
        second = [snapshot(prepared) for prepared in self._prepare(events, destination)]
        assert first == second, "prepare gave different PreparedEvents for the same event"
        assert [snapshot(event) for event in events] == before, "prepare changed its input event"

    def test_payload_json_is_canonical_json(self) -> None:
        """connector.canonical_json: sorted keys, no spaces, UTF-8, so retries are identical."""
        for prepared in self._prepare(self._samples(), self.destination(OFFLINE_SANDBOX_URL)):
            assert prepared.payload_json, f"{prepared.event_id}: empty payload_json"
            assert canonical_json(json.loads(prepared.payload_json)) == prepared.payload_json

    def test_build_requests_is_deterministic_and_leaves_its_input_unchanged(self) -> None:
        destination = self.destination(OFFLINE_SANDBOX_URL)
        settings_before = dict(destination.settings)
        now = self._now()
        batch = self._prepare(self._samples(now), destination)
        batch_before = [snapshot(prepared) for prepared in batch]
        first = [comparable(request) for request in self.connector.build_requests(batch, destination)]
        # Freshly built events and prepared events: equal input, so equal bytes.
        again = self._prepare(self._samples(now), destination)
        second = [comparable(request) for request in self.connector.build_requests(again, destination)]
        assert first == second, "build_requests gave different requests for the same batch"
        assert [snapshot(prepared) for prepared in batch] == batch_before, "build_requests changed its batch"
        assert dict(destination.settings) == settings_before, "build_requests changed the destination"

    def test_empty_batch_builds_no_request(self) -> None:
        assert self.connector.build_requests([], self.destination(OFFLINE_SANDBOX_URL)) == []

    def test_batch_over_the_limit_is_split_and_carries_every_event_once(self) -> None:
        limit = self.connector.limits.max_events_per_request
        destination = self.destination(OFFLINE_SANDBOX_URL)
        events = distinct_events(self._samples(), limit + 1)
        expected = [event.event_id for event in events]
        requests = self.connector.build_requests(self._prepare(events, destination), destination)
        sizes = [len(request.event_ids) for request in requests]
        assert all(0 < size <= limit for size in sizes), f"request sizes {sizes}, limit {limit}"
        carried = [event_id for request in requests for event_id in request.event_ids]
        assert sorted(carried) == sorted(expected), "every event must be in exactly one request"
        for request in requests:
            assert self.event_ids_in_body(request, expected) == list(request.event_ids), (
                "request.event_ids must list the events of its body, in body order"
            )

    # ---- privacy ----------------------------------------------------------------------------

    def test_no_raw_personal_value_leaves_prepare_or_build_requests(self) -> None:
        """DESIGN.md §1.2: only hashed identifiers leave prepare; searched in every encoding."""
        events = self._samples()
        values = self.personal_values(events)
        assert values, "sample_events must carry raw personal data (emails, phones, names …)"
        destination = self.destination(OFFLINE_SANDBOX_URL)
        prepared = self._prepare(events, destination)
        places: dict[str, bytes | str] = {}
        for item in prepared:
            places[f"payload_json of {item.event_id}"] = item.payload_json
            places[f"PreparedEvent {item.event_id}"] = item.SerializeToString()
        for index, request in enumerate(self.connector.build_requests(prepared, destination)):
            places[f"request {index} url"] = request.url
            places[f"request {index} headers"] = json.dumps(dict(request.headers), ensure_ascii=False)
            places[f"request {index} body"] = request.body
        leaks = personal.find_leaks(places, values)
        assert not leaks, "raw personal data left prepare:\n" + "\n".join(leaks)

    def test_personal_data_is_sent_as_sha256_digests(self) -> None:
        for item in self._prepare(self._samples(), self.destination(OFFLINE_SANDBOX_URL)):
            assert any(personal.sha256_digests_in(item.payload_json)), (
                f"{item.event_id}: its personal data left no SHA-256 digest in payload_json"
            )

    # ---- classification ---------------------------------------------------------------------

    @pytest.mark.parametrize("case", [*CLASSIFY_CASES, "rejection_response"])
    def test_classify_gives_one_outcome_per_event_in_request_order(self, case: str) -> None:
        request = self._request_for_classify()
        answer = self.rejection_response(request) if case == "rejection_response" else CLASSIFY_CASES[case]
        outcomes = self.connector.classify(request, answer)
        assert [outcome.event_id for outcome in outcomes] == list(request.event_ids)
        for outcome in outcomes:
            assert isinstance(outcome, Outcome) and isinstance(outcome.kind, OutcomeKind), outcome
            assert outcome.retry_after is None or outcome.retry_after >= 0, outcome

    @pytest.mark.parametrize("failure", list(TransportFailure))
    def test_no_answer_is_retried(self, failure: TransportFailure) -> None:
        assert self._kinds(failure) == {RETRY}

    @pytest.mark.parametrize("status", [500, 503])
    def test_server_errors_are_retried(self, status: int) -> None:
        assert self._kinds(HttpResponse(status, {}, b"Service Unavailable")) == {RETRY}

    def test_429_is_retried_no_sooner_than_retry_after(self) -> None:
        request = self._request_for_classify()
        outcomes = self.connector.classify(
            request, HttpResponse(429, {"Retry-After": "7"}, b"Too Many Requests")
        )
        assert {outcome.kind for outcome in outcomes} == {RETRY}
        assert all(outcome.retry_after is not None and outcome.retry_after >= 7 for outcome in outcomes), (
            outcomes
        )

    def test_platform_refusal_rejects_with_the_platforms_message(self) -> None:
        request = self._request_for_classify()
        outcomes = self.connector.classify(request, self.rejection_response(request))
        rejected = [outcome for outcome in outcomes if outcome.kind is REJECTED]
        assert rejected, f"the platform's refusal was classified as {[o.kind.value for o in outcomes]}"
        assert all(outcome.message.strip() for outcome in rejected), rejected

    @pytest.mark.parametrize("body", MALFORMED_2XX_BODIES)
    def test_2xx_with_a_malformed_body_is_not_misread(self, body: bytes) -> None:
        kinds = self._kinds(HttpResponse(200, {"Content-Type": "text/html"}, body))
        assert kinds <= self.malformed_2xx_kinds, f"{sorted(k.value for k in kinds)} for body {body!r}"

    # ---- the sandbox ------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_sample_payloads_are_accepted_by_the_sandbox(self) -> None:
        """Real HTTP to the real sandbox: every sample event must come back DELIVERED."""
        events = self._samples()
        outcomes: list[Outcome] = []
        async with await start_sandbox(port=0) as sandbox:
            destination = self.destination(sandbox.url)
            requests = self.connector.build_requests(self._prepare(events, destination), destination)
            for request in requests:
                response = await send(request)
                assert isinstance(response, HttpResponse), f"the sandbox did not answer: {response}"
                for outcome in self.connector.classify(request, response):
                    assert outcome.kind is DELIVERED, (
                        f"{outcome} for HTTP {response.status}: {response.body[:500]!r}"
                    )
                    outcomes.append(outcome)
            stats = sandbox.state.stats().values()
        assert sorted(outcome.event_id for outcome in outcomes) == sorted(event.event_id for event in events)
        # The sandbox's own count, so a classify that calls everything DELIVERED cannot pass.
        assert sum(platform["rejected_requests"] for platform in stats) == 0
        recorded = sum(platform["accepted_events"] + platform["test_events"] for platform in stats)
        assert recorded >= len(events), f"the sandbox recorded {recorded} of {len(events)} events"

    # ---- helpers (not tests) ----------------------------------------------------------------

    def _now(self) -> float:
        # Whole seconds: sample events built from it serialise the same way every time.
        return float(int(time.time()))

    def _samples(self, now: float | None = None) -> list[event_pb2.ConversionEvent]:
        events = self.sample_events(self._now() if now is None else now)
        assert events, "sample_events must return at least one event"
        ids = [event.event_id for event in events]
        assert len(ids) == len(set(ids)) and all(ids), f"sample events need distinct event ids: {ids}"
        return events

    def _prepare(
        self, events: Sequence[event_pb2.ConversionEvent], destination: Destination
    ) -> list[event_pb2.PreparedEvent]:
        return [self.connector.prepare(event, destination) for event in events]

    def _request_for_classify(self) -> HttpRequest:
        """The first request built for three distinct events (fewer if the limit is smaller)."""
        destination = self.destination(OFFLINE_SANDBOX_URL)
        events = distinct_events(self._samples(), 3)
        return self.connector.build_requests(self._prepare(events, destination), destination)[0]

    def _kinds(self, answer: HttpResponse | TransportFailure) -> set[OutcomeKind]:
        request = self._request_for_classify()
        outcomes = self.connector.classify(request, answer)
        assert len(outcomes) == len(request.event_ids), outcomes
        return {outcome.kind for outcome in outcomes}
