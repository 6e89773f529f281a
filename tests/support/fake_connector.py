"""A small, complete connector for core tests that must not depend on a real platform plugin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import (
    ConfigField,
    Destination,
    EligibilityRule,
    HttpRequest,
    HttpResponse,
    Limits,
    MatchQuality,
    Outcome,
    OutcomeKind,
    TransportFailure,
    canonical_json,
    json_array,
)
from signalmesh.normalize.text import sha256_hex
from signalmesh.v1 import event_pb2, policy_pb2


class FakeConnector:
    """Sends {"events": [...]} to ``url``; email hashed; strict needs a gclid."""

    name = "fake"
    description = "test connector"
    config_schema = (
        ConfigField("url", "where to POST"),
        ConfigField("test_url", "test channel", required=False),
    )
    limits = Limits(max_events_per_request=3, max_event_age=timedelta(days=2))
    eligibility: Mapping[str, EligibilityRule] = MappingProxyType(
        {
            "strict": EligibilityRule(
                (frozenset({"click"}),), policy_pb2.REASON_MISSING_CLICK_ID, "strict needs gclid"
            ),
            "send_all": EligibilityRule(
                (frozenset({"click"}), frozenset({"email"})),
                policy_pb2.REASON_INSUFFICIENT_USER_DATA,
                "needs an email",
            ),
        }
    )
    required_identifiers: Mapping[int, frozenset[str]] = MappingProxyType(
        {event_pb2.ACTION_SOURCE_WEBSITE: frozenset({"user_agent"})}
    )

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        payload: dict[str, object] = {"id": event.event_id, "name": event.event_name}
        identifiers = []
        if event.user_data.emails:
            payload["email"] = sha256_hex(event.user_data.emails[0].strip().lower())
            identifiers.append("email")
        if event.click_ids.gclid:
            payload["click"] = event.click_ids.gclid
            identifiers.append("click")
        if event.user_data.client_user_agent:
            payload["ua"] = event.user_data.client_user_agent
            identifiers.append("user_agent")
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id,
            event_name=event.event_name,
            destination=destination.name,
            connector=self.name,
            event_time=event.event_time,
            action_source=event.action_source,
            identifiers=identifiers,
            test_mode=event.test_mode,
            consent=event.consent,
        )
        prepared.payload_json = canonical_json(payload)
        return prepared

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        return MatchQuality(score=5.0 if "email" in prepared.identifiers else 1.0, missing=("email",))

    def test_channel(self, destination: Destination) -> str | None:
        return destination.setting("test_url") or None

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        requests = []
        size = self.limits.max_events_per_request
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            body = b'{"events":' + json_array(item.payload_json for item in chunk) + b"}"
            requests.append(
                HttpRequest(
                    "POST",
                    destination.setting("url"),
                    {"Content-Type": "application/json"},
                    body,
                    tuple(item.event_id for item in chunk),
                )
            )
        return requests

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        if isinstance(response, TransportFailure) or response.status >= 500 or response.status == 429:
            kind = OutcomeKind.RETRY
        elif response.status >= 400:
            kind = OutcomeKind.REJECTED
        else:
            kind = OutcomeKind.DELIVERED
        return [
            Outcome(event_id, kind, message=str(getattr(response, "status", response)))
            for event_id in request.event_ids
        ]
