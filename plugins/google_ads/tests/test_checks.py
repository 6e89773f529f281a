"""check_event: Google's one-click-id rule, reported by the gateway's validator beside the core's."""

from __future__ import annotations

import pytest
from signalmesh.gateway.validate import validate_event
from signalmesh.v1 import event_pb2

from signalmesh_google_ads.connector import GoogleAdsConnector

NOW = 1_800_000_000.0
DESTINATIONS = {"meta"}


def good_event() -> event_pb2.ConversionEvent:
    """A Purchase the core's own rules accept."""
    event = event_pb2.ConversionEvent(
        event_id="order-1",
        event_name="Purchase",
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="29.99",
        currency="USD",
        user_data=event_pb2.UserData(emails=["jane@example.com"], phones=["+16505551212"]),
    )
    event.event_time.FromSeconds(int(NOW - 60))
    return event


def test_two_google_click_ids_are_refused_naming_the_second():
    event = good_event()
    event.click_ids.gclid = "Cj0KCQ"
    event.click_ids.gbraid = "0AAAAA"
    [violation] = validate_event(event, NOW, DESTINATIONS, connectors=[GoogleAdsConnector()]).violations
    assert violation.field == "click_ids.gbraid" and "gclid and gbraid are both set" in violation.description


@pytest.mark.parametrize(
    ("click_ids", "field", "says"),
    [
        ({"gclid": "Cj0KCQ", "wbraid": "wb1"}, "click_ids.wbraid", "gclid and wbraid are both set"),
        ({"wbraid": "wb1", "gbraid": "gb1"}, "click_ids.gbraid", "wbraid and gbraid are both set"),
        (
            {"gclid": "Cj0KCQ", "wbraid": "wb1", "gbraid": "gb1"},
            "click_ids.wbraid",
            "gclid and wbraid and gbraid are all set",
        ),
    ],
)
def test_every_pair_of_google_click_ids_is_refused_with_one_violation(click_ids, field, says):
    event = good_event()
    event.click_ids.MergeFrom(event_pb2.ClickIds(**click_ids))
    [violation] = validate_event(event, NOW, DESTINATIONS, connectors=[GoogleAdsConnector()]).violations
    assert (violation.field, violation.reason) == (field, "click_ids.google_exclusive")
    assert says in violation.description


def test_one_google_click_id_beside_other_platforms_click_ids_is_fine():
    event = good_event()
    event.click_ids.MergeFrom(event_pb2.ClickIds(gclid="Cj0KCQ", ttclid="E.C.P.x", li_fat_id="li-1"))
    assert validate_event(event, NOW, DESTINATIONS, connectors=[GoogleAdsConnector()]).violations == []
