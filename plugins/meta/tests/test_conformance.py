"""The Meta connector passes the connector conformance suite, against the sandbox's Meta endpoint."""

from __future__ import annotations

import json

from signalmesh.config import SANDBOX_PIXEL, SANDBOX_TOKEN
from signalmesh.connector import Destination, HttpRequest, HttpResponse
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2

from signalmesh_meta.connector import MetaConnector


class TestMetaConformance(ConformanceSuite):
    connector = MetaConnector()

    def destination(self, sandbox_url: str) -> Destination:
        return Destination(
            name="meta-conformance",
            connector="meta",
            settings={
                "pixel_id": SANDBOX_PIXEL,
                "access_token": SANDBOX_TOKEN,
                "base_url": sandbox_url,
                "test_event_code": "TEST123",
            },
        )

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        purchase = event_pb2.ConversionEvent(
            event_id="meta-purchase-1",
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            value="129.99",
            currency="EUR",
            order_id="A-1001",
            user_data=event_pb2.UserData(
                emails=[" Jane.Doe@Example.COM "],
                phones=["(650) 555-1212"],
                first_name="Janet",
                last_name="O'Brien-Smythe",
                city="Mountain View",
                state="California",
                zip="94035",
                country="US",
                external_ids=["crm-user-778899"],
                client_ip_address="203.0.113.7",
                client_user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            ),
        )
        purchase.event_time.FromSeconds(int(now) - 120)
        # Meta: physical_store events need no user agent or source URL (§1.3).
        lead = event_pb2.ConversionEvent(
            event_id="meta-lead-1",
            event_name="Lead",
            action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE,
            user_data=event_pb2.UserData(
                phones=["+44 20 7183 8750"], first_name="Élodie", last_name="Martin"
            ),
        )
        lead.event_time.FromSeconds(int(now) - 3600)
        return [purchase, lead]

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        # Meta's recorded answer to a stale event (platforms.md §1.7): code 100, subcode 2804003.
        error = {
            "message": "Invalid parameter",
            "type": "OAuthException",
            "code": 100,
            "error_subcode": 2804003,
            "is_transient": False,
            "error_user_title": "Event Timestamp Too Old",
            "error_user_msg": "The timestamp for this event is too far in the past.",
            "error_data": {"blame_field_specs": [["data", "0", "event_time"]]},
            "fbtrace_id": "AbCdEfGh",
        }
        return HttpResponse(400, {"Content-Type": "application/json"}, json.dumps({"error": error}).encode())
