"""The TODO connector: what SignalMesh needs to send conversions to TODO's API.

Every ``TODO`` marks a place to fill in from the platform's documentation; cite the rule next
to the code that applies it (``# Acme: phone in E.164 with '+'``). Keep everything pure: the
core sends the requests, retries, rate-limits and traces them. ``signalmesh.connector``'s kit
supplies what every connector shares (``BaseConnector``, hashing, request and outcome helpers).
When a part grows, move it to its own module as plugins/meta does (normalize.py, payload.py,
batching.py, responses.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.normalize.text import nfc_lower
from signalmesh.v1 import event_pb2, policy_pb2


def email(value: str) -> str | None:
    """TODO: the platform's email rule (trim and lower-case is the common minimum)."""
    return nfc_lower(value) or None


def platform_event(event: event_pb2.ConversionEvent) -> kit.PlatformEvent:
    """TODO: the platform's per-event object, and the identifier names present in it."""
    data: dict[str, Any] = {
        "event_id": event.event_id,
        "event_name": event.event_name,
        "event_time": event.event_time.ToJsonString(),
    }
    # hashed_list: SHA-256 of each normalised value, duplicates removed; a digest passes through.
    kit.put_present(data, "email_sha256", kit.hashed_list(event.user_data.emails, email))
    # TODO: the platform's click id (ClickIds has fbclid, gclid, ttclid, li_fat_id, …).
    kit.put_present(data, "click_id", event.click_ids.gclid.strip() or None)
    if event.value:
        data["value"] = event.value
        data["currency"] = event.currency.upper()
    identifiers = sorted(
        name for name, key in (("email", "email_sha256"), ("click_id", "click_id")) if key in data
    )
    return kit.PlatformEvent(data, tuple(identifiers))


class TemplateConnector(kit.BaseConnector):
    """TODO: one line on the API this connector calls."""

    name = "template"  # TODO: what connector = "..." in signalmesh.toml refers to
    description = "TODO: platform and API"
    config_schema: tuple[kit.ConfigField, ...] = (
        # TODO: the platform's ids and credentials; mark every credential secret=True.
        kit.ConfigField("url", "Endpoint the events are posted to."),
        kit.ConfigField("access_token", "API token, e.g. env:TEMPLATE_TOKEN.", secret=True),
    )
    limits = kit.Limits(
        # TODO: the platform's documented batch size and maximum event age.
        max_events_per_request=100,
        max_event_age=timedelta(days=7),
    )
    eligibility = kit.eligibility(
        # TODO: what "strict" means for this platform (usually: a click id is present).
        strict=kit.EligibilityRule(
            any_of=(frozenset({"click_id"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to TODO only with a click id",
        ),
        # TODO: the platform's minimum user data.
        send_all=kit.EligibilityRule(
            any_of=(frozenset({"email"}), frozenset({"click_id"})),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail="TODO needs an email or a click id",
        ),
    )
    # TODO: weights from the platform's docs, heaviest first; document them in a table with sources.
    match_weights = (("email", 6.0), ("click_id", 4.0))
    # TODO: required_identifiers per action source (e.g. website → user agent), and
    # identifier_labels: what each identifier means to someone reading CheckEvent's advice.

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        return platform_event(event)

    # TODO: test_channel(destination): how the platform receives test events (a test code
    # setting, a validation endpoint). The base says None: policy skips test_mode events.

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
    ) -> list[kit.HttpRequest]:
        headers = {
            "Authorization": f"Bearer {kit.required_setting(destination, 'access_token')}",
            "Content-Type": "application/json",
        }
        url = kit.required_setting(destination, "url")
        # TODO: if the platform has a test channel, never mix test_mode and production events
        # (kit.groups_in_order(batch, lambda prepared: prepared.test_mode)).
        requests: list[kit.HttpRequest] = []
        for chunk in kit.chunks(batch, self.limits.max_events_per_request):
            # Deterministic bytes: a retry sends exactly what the first attempt sent.
            body = kit.canonical_json(
                {"data": [kit.json_or_none(prepared.payload_json) for prepared in chunk]}
            )
            requests.append(kit.post_request(url, headers, body, chunk))
        return requests

    def classify(
        self, request: kit.HttpRequest, response: kit.HttpResponse | kit.TransportFailure
    ) -> list[kit.Outcome]:
        ids = request.event_ids
        if isinstance(response, kit.TransportFailure):
            return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, f"no answer: {response.value}")
        message = kit.body_excerpt(response.body)
        # TODO: read the platform's error format: its message, code and the field it blames.
        if 200 <= response.status < 300:
            return kit.outcome_for_each(ids, kit.OutcomeKind.DELIVERED, "")
        if response.status == 429 or response.status >= 500:
            retry_after = kit.retry_after_seconds(response.headers)
            return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, message, retry_after=retry_after)
        return kit.outcome_for_each(ids, kit.OutcomeKind.REJECTED, message, code=str(response.status))


@hookimpl
def register_connectors(register: kit.Register) -> None:
    register(TemplateConnector())
