"""The TODO connector: what SignalMesh needs to send conversions to TODO's API.

Every ``TODO`` marks a place to fill in from the platform's documentation; cite the rule next
to the code that applies it (``# Acme: phone in E.164 with '+'``). Keep everything pure: the
core sends the requests, retries, rate-limits and traces them. When a part grows, move it to
its own module as plugins/meta does (normalize.py, payload.py, batching.py, responses.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from signalmesh.connector import (
    SEND_ALL,
    STRICT,
    ConfigField,
    Connector,
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
    retry_after_seconds,
)
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

CONFIG_SCHEMA: tuple[ConfigField, ...] = (
    # TODO: the platform's ids and credentials; mark every credential secret=True.
    ConfigField("url", "Endpoint the events are posted to."),
    ConfigField("access_token", "API token, e.g. env:TEMPLATE_TOKEN.", secret=True),
)

LIMITS = Limits(
    # TODO: the platform's documented batch size and maximum event age.
    max_events_per_request=100,
    max_event_age=timedelta(days=7),
)

ELIGIBILITY: Mapping[str, EligibilityRule] = MappingProxyType(
    {
        # TODO: what "strict" means for this platform (usually: a click id is present).
        STRICT: EligibilityRule(
            any_of=(frozenset({"click_id"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to TODO only with a click id",
        ),
        # TODO: the platform's minimum user data.
        SEND_ALL: EligibilityRule(
            any_of=(frozenset({"email"}), frozenset({"click_id"})),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail="TODO needs an email or a click id",
        ),
    }
)

# TODO: identifiers the platform requires per action source, e.g. website → user agent.
REQUIRED_IDENTIFIERS: Mapping[int, frozenset[str]] = MappingProxyType({})


def hashed(normalised: str) -> str:
    """SHA-256 lower-case hex; an existing SHA-256 digest passes through, never hashed twice."""
    if _SHA256_HEX.fullmatch(normalised):
        return normalised
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def platform_event(event: event_pb2.ConversionEvent) -> tuple[dict[str, Any], list[str]]:
    """TODO: the platform's per-event object, and the identifier names present in it."""
    identifiers: list[str] = []
    data: dict[str, Any] = {
        "event_id": event.event_id,
        "event_name": event.event_name,
        "event_time": event.event_time.ToJsonString(),
    }
    # TODO: the platform's email rule (trim and lower-case is the common minimum).
    emails = sorted({hashed(email.strip().lower()) for email in event.user_data.emails if email.strip()})
    if emails:
        data["email_sha256"] = emails
        identifiers.append("email")
    # TODO: the platform's click id (ClickIds has fbclid, gclid, ttclid, li_fat_id, …).
    if event.click_ids.gclid:
        data["click_id"] = event.click_ids.gclid
        identifiers.append("click_id")
    if event.value:
        data["value"] = event.value
        data["currency"] = event.currency.upper()
    return data, sorted(identifiers)


class TemplateConnector:
    """TODO: one line on the API this connector calls."""

    name: str = "template"  # TODO: what connector = "..." in signalmesh.toml refers to
    description: str = "TODO: platform and API"
    config_schema: tuple[ConfigField, ...] = CONFIG_SCHEMA
    limits: Limits = LIMITS
    eligibility: Mapping[str, EligibilityRule] = ELIGIBILITY
    required_identifiers: Mapping[int, frozenset[str]] = REQUIRED_IDENTIFIERS

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        data, identifiers = platform_event(event)
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id,
            event_name=event.event_name,
            destination=destination.name,
            connector=self.name,
            action_source=event.action_source,
            identifiers=identifiers,
            test_mode=event.test_mode,
        )
        prepared.event_time.CopyFrom(event.event_time)
        prepared.consent.CopyFrom(event.consent)
        prepared.payload_json = canonical_json(data)
        return prepared

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        # TODO: weights from the platform's docs; document them in a table with sources.
        weights = {"email": 6.0, "click_id": 4.0}
        present = set(prepared.identifiers)
        score = sum(weight for name, weight in weights.items() if name in present)
        missing = tuple(
            name for name, _ in sorted(weights.items(), key=lambda item: -item[1]) if name not in present
        )
        return MatchQuality(score=score, missing=missing)

    def test_channel(self, destination: Destination) -> str | None:
        # TODO: how the platform receives test events (a test code setting, a validation
        # endpoint), or None: policy then skips test_mode events instead of sending them live.
        return None

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        headers = {
            "Authorization": f"Bearer {destination.setting('access_token')}",
            "Content-Type": "application/json",
        }
        size = self.limits.max_events_per_request
        requests: list[HttpRequest] = []
        # TODO: if the platform has a test channel, never mix test_mode and production events.
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            body = {"data": [json.loads(prepared.payload_json) for prepared in chunk]}
            requests.append(
                HttpRequest(
                    method="POST",
                    url=destination.setting("url"),
                    headers=headers,
                    # Deterministic bytes: a retry sends exactly what the first attempt sent.
                    body=json.dumps(body, sort_keys=True, separators=(",", ":")).encode(),
                    event_ids=tuple(prepared.event_id for prepared in chunk),
                )
            )
        return requests

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        ids = request.event_ids
        if isinstance(response, TransportFailure):
            return [Outcome(event_id, OutcomeKind.RETRY, f"no answer: {response.value}") for event_id in ids]
        message = response.body.decode("utf-8", errors="replace")[:500]
        # TODO: read the platform's error format: its message, code and the field it blames.
        if 200 <= response.status < 300:
            return [Outcome(event_id, OutcomeKind.DELIVERED) for event_id in ids]
        if response.status == 429 or response.status >= 500:
            retry_after = retry_after_seconds(response.headers)
            return [
                Outcome(event_id, OutcomeKind.RETRY, message, retry_after=retry_after) for event_id in ids
            ]
        return [
            Outcome(event_id, OutcomeKind.REJECTED, message, code=str(response.status)) for event_id in ids
        ]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(TemplateConnector())
