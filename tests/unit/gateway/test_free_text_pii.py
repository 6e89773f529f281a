"""Detection of emails and phone numbers in free-form event fields (issue 11, finding 6)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from google.protobuf import struct_pb2
from hypothesis import given
from hypothesis import strategies as st
from signalmesh.gateway import free_text_pii
from signalmesh.gateway.free_text_pii import REJECT, STRIP, personal_data_kind, scan_event
from signalmesh.v1 import event_pb2

EMAIL, PHONE = "jane.doe@example.com", "+14155552671"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (EMAIL, "an email address"),
        ("contact: Jane.Doe+shop@mail.example.co.uk", "an email address"),
        ("jane.doe%40example.com", "an email address"),
        (PHONE, "a phone number"),
        ("+44 20 7946 0958", "a phone number"),
        ("0044 20 7946 0958", "a phone number"),
        ("call (415) 555-2671 today", "a phone number"),
        ("415-555-2671", "a phone number"),
        ("%2B14155552671", "a phone number"),
    ],
)
def test_personal_data_is_found(text, kind):
    assert personal_data_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "ORD-2024-000123",
        "1234567890",  # an id of ten digits is not a phone number
        "4155552671",  # nor are digits alone, ungrouped
        "29.99",
        "1.234.567.890",
        "2024-01-15",
        "2024-01-15T10:30:00Z",
        "192.168.1.1",
        "fb.1.1700000000123.IwAR",
        "sku-12345678901234",
        "+1 000",  # too short to be a phone number
        "user at example dot com",
        "",
    ],
)
def test_ordinary_ids_prices_and_dates_are_not_personal_data(text):
    assert personal_data_kind(text) is None


def by_the_patterns_alone(text: str) -> str | None:
    """The detection without its shortcuts: both patterns on every text."""
    decoded = unquote(text) if "%" in text else text
    if free_text_pii._EMAIL.search(decoded):
        return "an email address"
    for match in free_text_pii._PHONE_CANDIDATE.finditer(decoded):
        if free_text_pii._is_phone(match.group(0)):
            return "a phone number"
    return None


# Digits (ASCII and Arabic-Indic), a phone's separators, an email's parts, percent-encoding.
_PIECES = st.sampled_from(
    [*"0123456789", "٤", "١", "٥", *" ()-./+@%_", "40", "2B", "a", "Z", "example", ".com", "00", "415", "555"]
)


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_the_shortcuts_find_exactly_what_the_patterns_find(text):
    assert personal_data_kind(text) == by_the_patterns_alone(text)


@pytest.mark.parametrize("text", ["+1415555267", "1 (415) 555-2671", "(415) 555-2671", "+٤٤ 20 7946 0958"])
def test_phones_near_the_fewest_digits_are_still_found_as_the_patterns_find_them(text):
    assert personal_data_kind(text) == by_the_patterns_alone(text)


def _event(**fields) -> event_pb2.ConversionEvent:
    event = event_pb2.ConversionEvent(event_id="e-1", event_name="Purchase", **fields)
    return event


def test_strip_removes_the_url_parameter_and_keeps_the_others():
    url = f"https://shop.example.com/thanks?utm_source=mail&email={EMAIL}&step=3#tel={PHONE}"
    scan = scan_event(_event(event_source_url=url), STRIP)
    assert scan.refused == []
    assert scan.event_source_url == "https://shop.example.com/thanks?utm_source=mail&step=3"
    assert {finding.field for finding in scan.stripped} == {"event_source_url"}
    assert any("'email'" in finding.description for finding in scan.stripped)
    assert EMAIL not in repr(scan.stripped) and PHONE not in repr(scan.stripped)


def test_reject_refuses_the_url_parameter():
    scan = scan_event(_event(event_source_url=f"https://shop.example.com/?e={EMAIL}"), REJECT)
    assert scan.event_source_url is None and scan.stripped == []
    [finding] = scan.refused
    assert finding.field == "event_source_url" and "'e'" in finding.description
    assert EMAIL not in finding.description


def test_an_email_in_the_url_path_is_refused_in_either_mode():
    for mode in (STRIP, REJECT):
        scan = scan_event(_event(event_source_url=f"https://shop.example.com/u/{EMAIL}/thanks"), mode)
        assert [finding.field for finding in scan.refused] == ["event_source_url"]


def test_properties_order_id_and_contents_are_refused_naming_the_field():
    properties = struct_pb2.Struct()
    properties.update({"note": f"ship to {EMAIL}", "tier": "gold", "nested": {"items": ["a", PHONE]}})
    event = _event(
        order_id=EMAIL,
        custom_properties=properties,
        contents=[event_pb2.Content(id="sku-1", name=f"gift for {PHONE}")],
        event_source_url="https://shop.example.com/thanks?order=123",
    )
    scan = scan_event(event, STRIP)
    assert {finding.field for finding in scan.refused} == {
        "order_id",
        "custom_properties.note",
        "custom_properties.nested.items[1]",
        "contents[0].name",
    }
    assert scan.event_source_url is None  # nothing in the URL to strip
    assert EMAIL not in repr(scan.refused) and PHONE not in repr(scan.refused)


def test_a_property_key_that_is_personal_data_is_named_by_position_never_echoed():
    properties = struct_pb2.Struct()
    properties.update({EMAIL: "yes", "a": "b"})
    [finding] = scan_event(_event(custom_properties=properties), STRIP).refused
    assert finding.field.startswith("custom_properties[#") and EMAIL not in repr(finding)


def test_an_event_without_personal_data_in_free_text_is_untouched():
    properties = struct_pb2.Struct()
    properties.update({"payment_status": "succeeded", "coupon": "SPRING-2024", "price": 19.99})
    event = _event(
        order_id="ORD-2024-000123",
        custom_properties=properties,
        event_source_url="https://shop.example.com/thanks?order=ORD-2024-000123&ts=1700000000123",
    )
    scan = scan_event(event, STRIP)
    assert scan.refused == [] and scan.stripped == [] and scan.event_source_url is None


def test_a_url_that_does_not_parse_is_left_to_the_format_rule():
    event = event_pb2.ConversionEvent(event_source_url="http://[")
    scan = scan_event(event)
    assert scan.refused == [] and scan.event_source_url is None
