"""The Webhook connector passes the connector conformance suite, against the sandbox's webhook sink."""

from __future__ import annotations

from signalmesh.connector import Destination, HttpRequest, HttpResponse, OutcomeKind
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2

from signalmesh_webhook.connector import WebhookConnector


class TestWebhookConformance(ConformanceSuite):
    connector = WebhookConnector()
    # A generic receiver's 2xx body has no contract: any 2xx is a delivery.
    malformed_2xx_kinds = frozenset(OutcomeKind)

    def destination(self, sandbox_url: str) -> Destination:
        return Destination(
            name="conformance",
            connector="webhook",
            settings={
                "url": f"{sandbox_url}/webhook/conformance",
                "test_url": f"{sandbox_url}/webhook/conformance-test",
                "secret": "conformance-secret",
            },
        )

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        purchase = event_pb2.ConversionEvent(
            event_id="webhook-purchase-1",
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            value="129.99",
            currency="eur",
            order_id="A-1001",
            user_data=event_pb2.UserData(
                emails=[" Jane.Doe@Example.COM "],
                phones=["(650) 555-1212"],
                first_name="Janet",
                last_name="O'Brien-Smythe",
                city="Mountain View",
                country="US",
                external_ids=["crm-user-778899"],
            ),
            click_ids=event_pb2.ClickIds(gclid="Cj0KCQiA-example"),
        )
        purchase.event_time.FromSeconds(int(now) - 120)
        lead = event_pb2.ConversionEvent(
            event_id="webhook-lead-1",
            event_name="Lead",
            action_source=event_pb2.ACTION_SOURCE_PHONE_CALL,
            user_data=event_pb2.UserData(
                phones=["020 7183 8750"], country="United Kingdom", first_name="Élodie"
            ),
        )
        lead.event_time.FromSeconds(int(now) - 86_400)
        return [purchase, lead]

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        # What a receiver's schema validation answers; the connector passes the text on.
        body = b'{"error": "events[0].value: expected a decimal string"}'
        return HttpResponse(422, {"Content-Type": "application/json"}, body)
