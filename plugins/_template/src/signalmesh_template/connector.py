"""The TODO connector: what SignalMesh needs to send conversions to TODO's API.

Every ``TODO`` marks a place to fill in from the platform's documentation; cite the rule next
to the code that applies it (``# Acme: phone in E.164 with '+'``). Keep everything pure: the
core sends the requests, retries, rate-limits and traces them. ``signalmesh.connector``'s kit
supplies what every connector shares (``BaseConnector``, hashing, request and outcome helpers).
When a part grows, move it to its own module as plugins/meta does (normalize.py, payload.py,
batching.py, responses.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from signalmesh.connector import (
    SEND_ALL,
    STRICT,
    BaseConnector,
    ConfigField,
    Connector,
    Destination,
    EligibilityRule,
    HttpRequest,
    HttpResponse,
    Limits,
    MatchWeights,
    Outcome,
    OutcomeKind,
    PlatformEvent,
    TransportFailure,
    body_excerpt,
    canonical_json,
    chunks,
    hashed_list,
    json_or_none,
    outcome_for_each,
    post_request,
    put_present,
    required_setting,
    retry_after_seconds,
)
from signalmesh.hookspecs import hookimpl
from signalmesh.normalize.text import nfc_lower
from signalmesh.v1 import event_pb2, policy_pb2

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

# TODO: weights from the platform's docs, heaviest first; document them in a table with sources.
MATCH_WEIGHTS: MatchWeights = (("email", 6.0), ("click_id", 4.0))


def email(value: str) -> str | None:
    """TODO: the platform's email rule (trim and lower-case is the common minimum)."""
    return nfc_lower(value) or None


def platform_event(event: event_pb2.ConversionEvent) -> PlatformEvent:
    """TODO: the platform's per-event object, and the identifier names present in it."""
    data: dict[str, Any] = {
        "event_id": event.event_id,
        "event_name": event.event_name,
        "event_time": event.event_time.ToJsonString(),
    }
    # hashed_list: SHA-256 of each normalised value, duplicates removed; a digest passes through.
    put_present(data, "email_sha256", hashed_list(event.user_data.emails, email))
    # TODO: the platform's click id (ClickIds has fbclid, gclid, ttclid, li_fat_id, …).
    put_present(data, "click_id", event.click_ids.gclid.strip() or None)
    if event.value:
        data["value"] = event.value
        data["currency"] = event.currency.upper()
    identifiers = sorted(
        name for name, key in (("email", "email_sha256"), ("click_id", "click_id")) if key in data
    )
    return PlatformEvent(data, tuple(identifiers))


class TemplateConnector(BaseConnector):
    """TODO: one line on the API this connector calls."""

    name = "template"  # TODO: what connector = "..." in signalmesh.toml refers to
    description = "TODO: platform and API"
    config_schema = CONFIG_SCHEMA
    limits = LIMITS
    eligibility = ELIGIBILITY
    match_weights = MATCH_WEIGHTS
    # TODO: required_identifiers per action source (e.g. website → user agent), and
    # identifier_labels: what each identifier means to someone reading CheckEvent's advice.

    def platform_event(self, event: event_pb2.ConversionEvent, destination: Destination) -> PlatformEvent:
        return platform_event(event)

    # TODO: test_channel(destination): how the platform receives test events (a test code
    # setting, a validation endpoint). The base says None: policy skips test_mode events.

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        headers = {
            "Authorization": f"Bearer {required_setting(destination, 'access_token')}",
            "Content-Type": "application/json",
        }
        url = required_setting(destination, "url")
        # TODO: if the platform has a test channel, never mix test_mode and production events
        # (kit.groups_in_order(batch, lambda prepared: prepared.test_mode)).
        requests: list[HttpRequest] = []
        for chunk in chunks(batch, self.limits.max_events_per_request):
            # Deterministic bytes: a retry sends exactly what the first attempt sent.
            body = canonical_json({"data": [json_or_none(prepared.payload_json) for prepared in chunk]})
            requests.append(post_request(url, headers, body, chunk))
        return requests

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        ids = request.event_ids
        if isinstance(response, TransportFailure):
            return outcome_for_each(ids, OutcomeKind.RETRY, f"no answer: {response.value}")
        message = body_excerpt(response.body)
        # TODO: read the platform's error format: its message, code and the field it blames.
        if 200 <= response.status < 300:
            return outcome_for_each(ids, OutcomeKind.DELIVERED, "")
        if response.status == 429 or response.status >= 500:
            retry_after = retry_after_seconds(response.headers)
            return outcome_for_each(ids, OutcomeKind.RETRY, message, retry_after=retry_after)
        return outcome_for_each(ids, OutcomeKind.REJECTED, message, code=str(response.status))


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(TemplateConnector())
