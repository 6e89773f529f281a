"""The Webhook connector: conversions as HMAC-signed JSON to any HTTPS endpoint (a CRM, a warehouse).

Declarative parts (settings, limits, eligibility per strategy, match weights) are data the core
and the policy service read without running code; the methods are pure and delegate to
``payload`` (the event ``prepare`` wraps), ``batching`` (build_requests) and ``responses`` (classify).

Match quality
-------------
A receiver joins on whatever it keeps; these weights (summing to 10) rank the identifiers by
how reliably they name one person in a typical CRM: an email, then a phone, then the
receiver's own id or an ad click id.

=========== ====== =====================================================
identifier  weight why
=========== ====== =====================================================
email       4.0    the key almost every CRM and warehouse indexes
phone       3.0    E.164 is unambiguous, but fewer records carry one
external_id 1.5    exact when the receiver issued it, useless otherwise
click_id    1.5    ties the conversion to an ad click, not to a person
=========== ====== =====================================================
"""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_webhook import batching, payload, responses
from signalmesh_webhook.payload import CLICK_ID, EMAIL, EXTERNAL_ID, PHONE


class WebhookConnector(kit.BaseConnector):
    """POSTs ``{"events": [...]}`` signed with ``X-SignalMesh-Signature: sha256=<hmac>``."""

    name = "webhook"
    description = "Webhook: conversions as HMAC-signed JSON to any HTTPS endpoint (CRM, warehouse)"
    config_schema: tuple[kit.ConfigField, ...] = (
        kit.ConfigField(
            "url", "Where to POST production events, e.g. https://crm.example.com/hooks/conversions."
        ),
        kit.ConfigField(
            "secret",
            "The HMAC-SHA256 key the receiver verifies the signature with, e.g. env:WEBHOOK_SECRET.",
            secret=True,
        ),
        kit.ConfigField(
            "test_url",
            "Where test_mode events go; without it test events are skipped, never sent live.",
            required=False,
        ),
        kit.ConfigField(
            "signature_header",
            "The header carrying sha256=<hex HMAC of the body>.",
            required=False,
            default=batching.DEFAULT_SIGNATURE_HEADER,
        ),
    )
    limits = kit.Limits(
        max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
        # Older conversions are rarely actionable in a CRM and would replay a backlog after an outage.
        max_event_age=timedelta(days=30),
    )
    eligibility = kit.eligibility(
        strict=kit.EligibilityRule(
            any_of=(frozenset({CLICK_ID}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to a webhook only with an ad click id: fbc, fbclid, gclid, wbraid, "
            "gbraid, ttclid or li_fat_id",
        ),
        send_all=kit.EligibilityRule(
            any_of=(frozenset({EMAIL}), frozenset({PHONE}), frozenset({EXTERNAL_ID}), frozenset({CLICK_ID})),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail="a webhook needs something to join on: add an email, a phone (with its country), "
            "an external id or an ad click id",
        ),
    )
    match_weights = ((EMAIL, 4.0), (PHONE, 3.0), (EXTERNAL_ID, 1.5), (CLICK_ID, 1.5))
    identifier_labels = MappingProxyType(
        {
            EMAIL: "a hashed email",
            PHONE: "a hashed phone",
            EXTERNAL_ID: "your customer id",
            CLICK_ID: "a click id",
        }
    )
    # batching and responses hold the pure functions, with the methods' signatures.
    build_requests = staticmethod(batching.build_requests)
    classify = staticmethod(responses.classify)

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        """The README's per-event object, personal data hashed."""
        return payload.webhook_event(event)

    def test_channel(self, destination: kit.Destination) -> str | None:
        # Test events only where the receiver said it wants them; otherwise policy skips them.
        return destination.setting("test_url") or None


@hookimpl
def register_connectors(register: kit.Register) -> None:
    """Entry point ``signalmesh: webhook`` → this hook registers the Webhook connector."""
    register(WebhookConnector())
