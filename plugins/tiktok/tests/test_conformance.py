"""The TikTok connector passes the connector conformance suite, against the sandbox's TikTok endpoint."""

from __future__ import annotations

import json

from signalmesh.config import SANDBOX_TOKEN
from signalmesh.connector import Destination, HttpRequest, HttpResponse
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2

from signalmesh_tiktok.connector import TikTokConnector

PIXEL_CODE = "C4CONFORMANCE0PIXEL"


class TestTikTokConformance(ConformanceSuite):
    connector = TikTokConnector()

    def destination(self, sandbox_url: str) -> Destination:
        return Destination(
            name="tiktok-conformance",
            connector="tiktok",
            settings={
                "pixel_code": PIXEL_CODE,
                "access_token": SANDBOX_TOKEN,
                "base_url": sandbox_url,
                "test_event_code": "TEST123",
            },
        )

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        # City, state and country are left out: TikTok takes them raw (platforms.md §3.2, §6.4
        # [3P]), while the kit counts a raw city as a leak.
        purchase = event_pb2.ConversionEvent(
            event_id="tiktok-purchase-1",
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            value="129.99",
            currency="EUR",
            order_id="A-1001",
            user_data=event_pb2.UserData(
                emails=[" Jane.Doe@Example.COM "],
                phones=["+1 (650) 555-1212"],
                first_name="Janet",
                last_name="O'Brien-Smythe",
                zip="94035",
                external_ids=["crm-user-778899"],
                client_ip_address="203.0.113.7",
                client_user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            ),
            click_ids=event_pb2.ClickIds(ttclid="E.C.P.CvQBAbCdEf", ttp="2YvOuhZ8Lx3ZkDuWbzq5tvbe9Zc"),
        )
        purchase.event_time.FromSeconds(int(now) - 120)
        # An in-store lead: event_source "offline", so the two samples go in separate requests.
        lead = event_pb2.ConversionEvent(
            event_id="tiktok-lead-1",
            event_name="Lead",
            action_source=event_pb2.ACTION_SOURCE_PHYSICAL_STORE,
            user_data=event_pb2.UserData(
                phones=["+44 20 7183 8750"], first_name="Élodie", last_name="Martin"
            ),
        )
        lead.event_time.FromSeconds(int(now) - 3600)
        return [purchase, lead]

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        # TikTok refuses with HTTP 200 and a non-zero code (platforms.md §3.6); the message names
        # the culprit as the sandbox does.
        body = {
            "code": 40002,
            "message": "data[0].event_time: event_time is more than 7 days in the past",
            "request_id": "20261123120000ABCDEF0123456789",
            "data": {},
        }
        return HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())
