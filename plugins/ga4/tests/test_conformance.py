"""The GA4 connector passes the connector conformance suite, against the sandbox's GA4 endpoint."""

from __future__ import annotations

import json
from typing import ClassVar

from signalmesh.config import SANDBOX_TOKEN
from signalmesh.connector import Destination, HttpRequest, HttpResponse, OutcomeKind
from signalmesh.testing import ConformanceSuite
from signalmesh.v1 import event_pb2

from signalmesh_ga4.connector import Ga4Connector


class TestGa4Conformance(ConformanceSuite):
    connector = Ga4Connector()
    # GA4's own success answer is a 2xx with an empty body (platforms.md §2A): the kit's empty
    # body is DELIVERED here. HTML or garbage bodies are still retried (test_classify.py).
    malformed_2xx_kinds: ClassVar[frozenset[OutcomeKind]] = frozenset(
        {OutcomeKind.RETRY, OutcomeKind.REJECTED, OutcomeKind.DELIVERED}
    )

    def destination(self, sandbox_url: str) -> Destination:
        return Destination(
            name="ga4-conformance",
            connector="ga4",
            settings={"measurement_id": "G-CONFORM01", "api_secret": SANDBOX_TOKEN, "base_url": sandbox_url},
        )

    def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
        # City and region are left out and external ids too: GA4 takes them (and user_id) in
        # clear (platforms.md §2A, §6.4), while the kit counts a raw city or id as a leak.
        purchase = event_pb2.ConversionEvent(
            event_id="ga4-purchase-1",
            event_name="Purchase",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            value="129.99",
            currency="EUR",
            order_id="A-1001",
            user_data=event_pb2.UserData(
                emails=[" Jane.Doe@Example.COM "],
                phones=["+1 (650) 555-1212"],
                first_name="Janet",
                last_name="O'Brien-Smythe",
                country="US",
            ),
            click_ids=event_pb2.ClickIds(
                ga_client_id="GA1.1.1234567890.1795170000",
                ga_session_id="1795170000",
                ga_engagement_time_msec=1200,
            ),
        )
        purchase.event_time.FromSeconds(int(now) - 120)
        lead = event_pb2.ConversionEvent(
            event_id="ga4-lead-1",
            event_name="Lead",
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            user_data=event_pb2.UserData(
                phones=["+44 20 7183 8750"], first_name="Élodie", last_name="Martin"
            ),
            click_ids=event_pb2.ClickIds(ga_client_id="987654321.1795100000"),
        )
        lead.event_time.FromSeconds(int(now) - 3600)
        return [purchase, lead]

    def rejection_response(self, request: HttpRequest) -> HttpResponse:
        # Only the validation server says no: Google's own example message (G6).
        body = {
            "validationMessages": [
                {
                    "fieldPath": "events",
                    "description": "Event at index: [0] has invalid name [_badEventName]. "
                    "Names must start with an alphabetic character.",
                    "validationCode": "NAME_INVALID",
                }
            ]
        }
        return HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())
