"""The Google Ads connector passes the connector conformance suite, against the sandbox's Google Ads API."""

from __future__ import annotations

import json

from signalmesh.config import SANDBOX_TOKEN
from signalmesh.connector import Destination, HttpRequest, HttpResponse
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

CUSTOMER_ID = "1234567890"


class TestGoogleAdsConformance(ConformanceSuite):
    connector = GoogleAdsConnector()

    def destination(self, sandbox_url: str) -> Destination:
        return Destination(
            name="google-ads-conformance",
            connector="google_ads",
            settings={
                "customer_id": CUSTOMER_ID,
                "access_token": SANDBOX_TOKEN,
                "developer_token": "sandbox-developer-token",
                "conversion_actions.Purchase": "987654321",
                "conversion_actions.Lead": "555000111",
                "base_url": sandbox_url,
            },
        )

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        # Names, city and address are given on purpose: click uploads take only hashed email and
        # phone (platforms.md §2B), so none of them may appear anywhere, not even hashed.
        purchase = event_pb2.ConversionEvent(
            event_id="google-ads-purchase-1",
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            value="129.99",
            currency="eur",
            order_id="A-1001",
            user_data=event_pb2.UserData(
                emails=[" Jane.Doe+Shopping@GMail.com "],
                phones=["+1 (650) 555-1212"],
                first_name="Janet",
                last_name="O'Brien-Smythe",
                city="Mountain View",
                client_ip_address="203.0.113.7",
                client_user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            ),
            click_ids=event_pb2.ClickIds(gclid="Cj0KCQiA0conformanceGCLID"),
            consent=event_pb2.Consent(ad_user_data=event_pb2.CONSENT_STATUS_GRANTED),
        )
        purchase.event_time.FromSeconds(int(now) - 120)
        # Enhanced conversions for leads: no click id, hashed email and a national phone number
        # whose country code comes from the event's country (§2B, §2C).
        lead = event_pb2.ConversionEvent(
            event_id="google-ads-lead-1",
            event_name="Lead",
            action_source=event_pb2.ACTION_SOURCE_PHONE_CALL,
            order_id="L-2002",
            user_data=event_pb2.UserData(
                emails=["elodie.martin@example.fr"],
                phones=["020 7183 8750"],
                country="GB",
                first_name="Élodie",
            ),
        )
        lead.event_time.FromSeconds(int(now) - 3600)
        return [purchase, lead]

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        # Google Ads with partialFailure: HTTP 200, the refused row named by its index and left
        # empty in results (platforms.md §2B), as the sandbox answers it.
        error = {
            "errorCode": {"conversionUploadError": "UNPARSEABLE_GCLID"},
            "message": "The imported gclid could not be decoded.",
            "location": {
                "fieldPathElements": [{"fieldName": "conversions", "index": 0}, {"fieldName": "gclid"}]
            },
        }
        failure = {
            "@type": "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure",
            "errors": [error],
            "requestId": "Ab12Cd34Ef56",
        }
        results = [{}] + [{"conversionDateTime": "2026-11-23 12:00:00+00:00"}] * (len(request.event_ids) - 1)
        body = {
            "results": results,
            "partialFailureError": {"code": 3, "message": error["message"], "details": [failure]},
        }
        return HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())
