"""The LinkedIn connector passes the connector conformance suite, against the sandbox's LinkedIn endpoint."""

from __future__ import annotations

import json

from signalmesh.config import SANDBOX_TOKEN
from signalmesh.connector import Destination, HttpRequest, HttpResponse
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2

from signalmesh_linkedin.connector import LinkedInConnector


class TestLinkedInConformance(ConformanceSuite):
    connector = LinkedInConnector()

    def destination(self, sandbox_url: str) -> Destination:
        # [destinations.li.conversion_rules] as the core delivers it: flattened to name.event keys.
        return Destination(
            name="linkedin-conformance",
            connector="linkedin",
            settings={
                "access_token": SANDBOX_TOKEN,
                "base_url": sandbox_url,
                "conversion_rules.Purchase": "123456",
                "conversion_rules.Lead": "urn:lla:llaPartnerConversion:654321",
            },
        )

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        purchase = event_pb2.ConversionEvent(
            event_id="linkedin-purchase-1",
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example/checkout",
            value="29.90",
            currency="USD",
            user_data=event_pb2.UserData(
                emails=[" Jane.Doe@Example.COM "],
                # LinkedIn takes neither phones nor names (§4.3): they must simply never leave prepare.
                phones=["(650) 555-1212"],
                first_name="Janet",
                last_name="O'Brien-Smythe",
                city="Mountain View",
                country="US",
                external_ids=["crm-user-778899"],
                client_ip_address="203.0.113.7",
            ),
            click_ids=event_pb2.ClickIds(li_fat_id="df8a4e32-9b7d-4f5c-a6e1-1c2b3d4e5f60"),
        )
        purchase.event_time.FromSeconds(int(now) - 120)
        lead = event_pb2.ConversionEvent(
            event_id="linkedin-lead-1",
            event_name="Lead",
            action_source=event_pb2.ACTION_SOURCE_SYSTEM_GENERATED,
            user_data=event_pb2.UserData(
                emails=["marc.dupont@exemple.fr"], first_name="Marc", last_name="Dupont"
            ),
        )
        lead.event_time.FromSeconds(int(now) - 86_400)
        return [purchase, lead]

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        # LinkedIn answers a BATCH_CREATE per element (§4.2); a 422 names the field path (§4.6).
        refused = {
            "status": 422,
            "error": {
                "status": 422,
                "message": "ERROR :: /conversionHappenedAt :: is more than 90 days ago\n",
            },
        }
        elements = [refused] + [{"status": 201}] * (len(request.event_ids) - 1)
        return HttpResponse(
            200, {"Content-Type": "application/json"}, json.dumps({"elements": elements}).encode()
        )
