"""Property-based: the validator never crashes, and every violation names a field that exists."""

from __future__ import annotations

import re

from google.protobuf import timestamp_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signalmesh.gateway.tracking_plan import TrackingRule, unknown_path
from signalmesh.gateway.validate import validate_event
from signalmesh.v1 import event_pb2

NOW = 1_800_000_000.0
text = st.text(max_size=40)
PLAN = {
    "Purchase": TrackingRule(
        "Purchase", required=("order_id",), custom_properties={"payment_status": "succeeded"}
    )
}

user_data = st.builds(
    event_pb2.UserData,
    emails=st.lists(text, max_size=3),
    phones=st.lists(st.one_of(text, st.from_regex(r"\+?[0-9 ()-]{0,18}", fullmatch=True)), max_size=3),
    first_name=text,
    last_name=text,
    gender=text,
    date_of_birth=st.one_of(text, st.from_regex(r"(19|20)\d\d-\d\d-\d\d", fullmatch=True)),
    city=text,
    state=text,
    zip=text,
    country=st.one_of(text, st.sampled_from(["US", "United States", "de", "Atlantis"])),
    external_ids=st.lists(text, max_size=2),
    client_ip_address=st.one_of(text, st.ip_addresses().map(str)),
    client_user_agent=text,
)
click_ids = st.builds(
    event_pb2.ClickIds,
    fbclid=text,
    fbc=st.one_of(text, st.from_regex(r"fb\.1\.\d{13}\.\w+", fullmatch=True)),
    fbp=text,
    gclid=text,
    click_time=st.one_of(st.none(), st.builds(timestamp_pb2.Timestamp, seconds=st.integers(0, 2**33))),
)
events = st.builds(
    event_pb2.ConversionEvent,
    event_id=text,
    event_name=st.one_of(text, st.sampled_from(["Purchase", "Lead", "custom_event"])),
    event_time=st.one_of(st.none(), st.builds(timestamp_pb2.Timestamp, seconds=st.integers(-(2**34), 2**34))),
    action_source=st.integers(0, 9),
    event_source_url=st.one_of(text, st.just("https://shop.example.com/x")),
    user_data=user_data,
    click_ids=click_ids,
    value=st.one_of(text, st.decimals(allow_nan=True, allow_infinity=True).map(str)),
    currency=st.one_of(text, st.sampled_from(["USD", "JPY", "usd", "XYZ"])),
    order_id=text,
    contents=st.lists(st.builds(event_pb2.Content, id=text, item_price=text), max_size=2),
    destinations=st.lists(st.sampled_from(["meta", "tiktok", ""]), max_size=2),
)


def field_exists(path: str) -> bool:
    return unknown_path(re.sub(r"\[\d+\]", "", path)) is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_no_event_crashes_the_validator_and_every_violation_names_a_real_field(event):
    report = validate_event(event, NOW, {"meta"}, PLAN)
    for violation in report.violations + report.warnings:
        assert field_exists(violation.field), violation
        assert violation.reason and violation.description
    # Rejected means at least one violation; accepted means none.
    assert report.ok == (report.violations == [])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.from_regex(r"-?\d{1,5}([.,]\d{1,4})?", fullmatch=True)))
def test_any_value_text_is_either_an_exact_usd_amount_or_explained(value):
    report = validate_event(event_pb2.ConversionEvent(value=value, currency="USD"), NOW, set())
    value_problems = [item for item in report.violations if item.field == "value"]
    # ASCII digits around ASCII spaces: what float() and Decimal() read the same way.
    match = re.fullmatch(r"[0-9]+(?:\.([0-9]+))?", value.strip(" \t\n\r"))
    exact_usd = match is not None and len((match.group(1) or "").rstrip("0")) <= 2
    if exact_usd or not value:
        assert value_problems == []
    else:
        [problem] = value_problems
        assert problem.reason in ("value.decimal", "value.minor_units")
        assert repr(value) in problem.description or value.strip() in problem.description
