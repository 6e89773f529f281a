"""check_event: Meta's own click-id rules, reported by the gateway's validator beside the core's,
as warnings: a cookie Meta cannot use is left out of Meta's payload, not the event refused."""

from __future__ import annotations

import json

import pytest
from signalmesh.connector import Destination
from signalmesh.gateway.accept import check_event
from signalmesh.gateway.validate import validate_event
from signalmesh.v1 import event_pb2

from signalmesh_meta.connector import MetaConnector

NOW = 1_800_000_000.0
DESTINATIONS = {"meta"}


def good_event(**click_ids: str) -> event_pb2.ConversionEvent:
    """A Purchase the core's own rules accept, with the given click ids."""
    event = event_pb2.ConversionEvent(
        event_id="order-1",
        event_name="Purchase",
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="29.99",
        currency="USD",
        user_data=event_pb2.UserData(emails=["jane@example.com"]),
        click_ids=event_pb2.ClickIds(**click_ids),
    )
    event.event_time.FromSeconds(int(NOW - 60))
    return event


def test_fbclid_without_click_time_is_a_warning_not_an_invented_time():
    event = good_event(fbclid="IwAR123")
    report = validate_event(event, NOW, DESTINATIONS, connectors=[MetaConnector()])
    assert report.violations == []
    assert [warning.field for warning in report.warnings] == ["click_ids.click_time"]


@pytest.mark.parametrize("name", ["fbc", "fbp"])
@pytest.mark.parametrize("value", ["IwAR123", "fb.1.1554763741.AbCdEf", "fb.1.155476374120.AbCdEf"])
def test_a_cookie_not_in_metas_shape_is_a_warning_naming_the_field_and_meta(name, value):
    """An optional identifier Meta cannot use costs only itself, not the event."""
    report = validate_event(good_event(**{name: value}), NOW, DESTINATIONS, connectors=[MetaConnector()])
    assert report.ok and report.violations == []
    [warning] = report.warnings
    assert (warning.field, warning.reason) == (f"click_ids.{name}", f"{name}.format")
    assert "fb.1.<creation time ms>.<id>" in warning.description
    assert "not sent: Meta destinations get the event without it" in warning.description


def test_a_malformed_fbc_is_accepted_for_every_destination_and_meta_is_sent_none():
    destinations = {
        "meta": Destination("meta", "meta", {"pixel_id": "1", "access_token": "t"}),
        "crm": Destination("crm", "webhook", {"url": "https://crm.example.test/hook"}),
    }
    outcome = check_event(
        good_event(fbc="fb.1.1554763741.AbCdEf"), NOW, destinations, {}, connectors=[MetaConnector()]
    )
    assert outcome.accepted
    assert [warning.field for warning in outcome.report.warnings] == ["click_ids.fbc"]
    assert outcome.event.click_ids.fbc == "fb.1.1554763741.AbCdEf", "other destinations get it as sent"
    prepared = MetaConnector().prepare(outcome.event, destinations["meta"])
    assert "fbc" not in json.loads(prepared.payload_json)["user_data"]
    assert "fbc" not in prepared.identifiers


def test_cookies_in_metas_shape_pass():
    event = good_event(fbc="fb.1.1554763741205.AbCdEf", fbp="fb.1.1596403881668.1116446470")
    assert MetaConnector().check_event(event) == []
