"""check_event: Meta's own click-id rules, reported by the gateway's validator beside the core's."""

from __future__ import annotations

import pytest
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
def test_a_cookie_not_in_metas_shape_is_refused_with_the_shape(name):
    report = validate_event(good_event(**{name: "IwAR123"}), NOW, DESTINATIONS, connectors=[MetaConnector()])
    [violation] = report.violations
    assert (violation.field, violation.reason) == (f"click_ids.{name}", f"{name}.format")
    assert "fb.1.<creation time ms>.<id>" in violation.description


def test_cookies_in_metas_shape_pass():
    event = good_event(fbc="fb.1.1554763741205.AbCdEf", fbp="fb.1.1596403881668.1116446470")
    assert MetaConnector().check_event(event) == []
