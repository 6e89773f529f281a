"""Validation names the field, the rule and the fix; it reports every problem at once."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2
from signalmesh.connector import FieldProblem
from signalmesh.gateway.validate import decimal_problem, validate_event
from signalmesh.v1 import event_pb2

NOW = 1_800_000_000.0
DESTINATIONS = {"meta"}


def good_event(**overrides) -> event_pb2.ConversionEvent:
    event = event_pb2.ConversionEvent(
        event_id="order-1",
        event_name="Purchase",
        event_time=timestamp_pb2.Timestamp(seconds=int(NOW - 60)),
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="29.99",
        currency="USD",
        user_data=event_pb2.UserData(emails=["jane@example.com"], phones=["+16505551212"]),
    )
    for key, value in overrides.items():
        if isinstance(value, event_pb2.UserData | timestamp_pb2.Timestamp):
            getattr(event, key).CopyFrom(value)
        else:
            setattr(event, key, value)
    return event


def fields(report) -> dict[str, str]:
    return {violation.field: violation.reason for violation in report.violations}


def warnings(report) -> dict[str, str]:
    return {warning.field: warning.reason for warning in report.warnings}


def test_a_complete_event_has_no_violations():
    assert validate_event(good_event(), NOW, DESTINATIONS).violations == []


def test_every_violation_is_reported_at_once():
    event = event_pb2.ConversionEvent(
        value="$29.99", user_data=event_pb2.UserData(emails=["nope"], phones=["12"])
    )
    report = validate_event(event, NOW, DESTINATIONS)
    assert fields(report) == {
        "event_id": "event_id.required",
        "event_name": "event_name.required",
        "event_time": "event_time.required",
        "action_source": "action_source.required",
        "value": "value.decimal",
    }
    # Unusable optional identifiers are reported too, as warnings: they cost only themselves.
    assert warnings(report) == {"user_data.emails[0]": "email.format", "user_data.phones[0]": "phone.format"}


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("$29.99", "send 29.99 and the currency code"),
        ("29,99", "send 29.99"),
        ("1e3", "send 1000"),
        ("-5", "negative"),
        ("NaN", "not a number"),
        ("abc", "digits with an optional '.'"),
    ],
)
def test_value_that_is_not_an_exact_decimal_shows_the_correct_form(value, hint):
    problem = decimal_problem(value)
    assert problem is not None and hint in problem


def test_value_without_currency_is_rejected_and_no_currency_is_assumed():
    report = validate_event(good_event(currency=""), NOW, DESTINATIONS)
    assert fields(report)["value"] == "value.currency_required"


def test_decimals_beyond_the_currency_minor_units_are_rejected():
    report = validate_event(good_event(value="1500.5", currency="JPY"), NOW, DESTINATIONS)
    assert fields(report) == {"value": "value.minor_units"}


def test_unknown_currency_code_is_rejected():
    assert fields(validate_event(good_event(currency="XYZ"), NOW, DESTINATIONS)) == {
        "currency": "currency.iso4217"
    }


def test_event_time_far_in_the_future_is_rejected():
    event = good_event(event_time=timestamp_pb2.Timestamp(seconds=int(NOW + 3600)))
    assert fields(validate_event(event, NOW, DESTINATIONS)) == {"event_time": "event_time.future"}


def test_website_event_needs_its_page_url():
    assert fields(validate_event(good_event(event_source_url=""), NOW, DESTINATIONS)) == {
        "event_source_url": "event_source_url.required"
    }


def test_already_hashed_identifiers_are_accepted_as_they_are():
    hashed = "a" * 64
    report = validate_event(
        good_event(user_data=event_pb2.UserData(emails=[hashed], phones=[hashed])), NOW, DESTINATIONS
    )
    assert report.violations == []


def test_unknown_destination_is_named_with_the_configured_ones():
    event = good_event()
    event.destinations.append("tiktok")
    [violation] = validate_event(event, NOW, DESTINATIONS).violations
    assert violation.field == "destinations[0]" and "meta" in violation.description


class FormatChecker:
    """A connector's own edge rule: a warning for any ttclid, an error for a 'bad' gclid."""

    def check_event(self, event: event_pb2.ConversionEvent) -> list[FieldProblem]:
        found = []
        if event.click_ids.ttclid:
            found.append(FieldProblem("click_ids.ttclid", "ttclid.noted", "noted", warning=True))
        if event.click_ids.gclid == "bad":
            found.append(FieldProblem("click_ids.gclid", "gclid.format", "not a gclid: send the gclid"))
        return found


def test_connectors_own_checks_are_reported_as_violations_and_warnings():
    event = good_event()
    event.click_ids.MergeFrom(event_pb2.ClickIds(gclid="bad", ttclid="E.C.P.x"))
    report = validate_event(event, NOW, DESTINATIONS, connectors=[FormatChecker(), object()])
    assert fields(report) == {"click_ids.gclid": "gclid.format"}
    assert [(warning.field, warning.reason) for warning in report.warnings] == [
        ("click_ids.ttclid", "ttclid.noted")
    ]


def test_without_connectors_no_platform_rule_applies():
    event = good_event()
    event.click_ids.MergeFrom(event_pb2.ClickIds(gclid="bad", fbc="not-a-cookie"))
    assert validate_event(event, NOW, DESTINATIONS).violations == []


def test_private_ip_is_accepted_with_a_warning():
    event = good_event(user_data=event_pb2.UserData(client_ip_address="10.0.0.1"))
    report = validate_event(event, NOW, DESTINATIONS)
    assert report.violations == [] and report.warnings[0].reason == "ip.private"


def test_tracking_plan_refuses_a_purchase_on_a_failed_payment():
    from google.protobuf import struct_pb2
    from signalmesh.gateway.tracking_plan import TrackingRule

    plan = {
        "Purchase": TrackingRule(
            "Purchase", required=("order_id",), custom_properties={"payment_status": "succeeded"}
        )
    }
    event = good_event()
    event.custom_properties.update({"payment_status": "failed"})
    report = validate_event(event, NOW, DESTINATIONS, plan)
    assert fields(report) == {
        "order_id": "tracking_plan.required",
        "custom_properties.payment_status": "tracking_plan.property",
    }
    assert "'failed' but Purchase requires 'succeeded'" in report.violations[1].description
    event.order_id = "1001"
    event.custom_properties.update({"payment_status": "succeeded"})
    assert validate_event(event, NOW, DESTINATIONS, plan).violations == []
    assert isinstance(event.custom_properties, struct_pb2.Struct)


def test_a_field_the_built_in_rules_flag_gets_no_second_tracking_plan_message():
    from signalmesh.gateway.tracking_plan import TrackingRule

    plan = {"Purchase": TrackingRule("Purchase", required=("currency", "order_id"))}
    event = good_event(currency="")
    report = validate_event(event, NOW, DESTINATIONS, plan)
    assert [violation.field for violation in report.violations].count("currency") == 1
    assert fields(report)["currency"] != "tracking_plan.required"
    assert fields(report)["order_id"] == "tracking_plan.required"


def test_tracking_plan_one_of_rule_names_the_alternatives():
    from signalmesh.gateway.tracking_plan import TrackingRule

    plan = {"Lead": TrackingRule("Lead", required_one_of=("user_data.emails", "user_data.phones"))}
    lead = good_event(
        event_name="Lead",
        value="",
        currency="",
        user_data=event_pb2.UserData(client_ip_address="203.0.113.1"),
    )
    [violation] = validate_event(lead, NOW, DESTINATIONS, plan).violations
    assert (
        violation.field == "user_data.emails"
        and "user_data.emails or user_data.phones" in violation.description
    )
    lead.user_data.phones.append("+16505551212")
    assert validate_event(lead, NOW, DESTINATIONS, plan).violations == []


@pytest.mark.parametrize(
    ("user_data", "problems"),
    [
        (event_pb2.UserData(phones=["(650) 555-1212"], country="US"), {}),
        (event_pb2.UserData(phones=["(650) 555-1212"]), {"user_data.phones[0]": "phone.format"}),
        (event_pb2.UserData(phones=["555-1212"], country="US"), {"user_data.phones[0]": "phone.format"}),
        # The international prefix 00 reads as international whatever the country (ITU; Meta §1.5).
        (event_pb2.UserData(phones=["0044 20 7183 8750"], country="US"), {}),
        (event_pb2.UserData(country="United States"), {}),
        (event_pb2.UserData(country="Deutschland"), {}),
        (event_pb2.UserData(country="Atlantis"), {"user_data.country": "country.iso3166"}),
        (event_pb2.UserData(date_of_birth="1997-02-30"), {"user_data.date_of_birth": "date_of_birth.format"}),
        # Meta documents month-first forms, with or without punctuation (§1.4, M1 "db").
        (event_pb2.UserData(date_of_birth="2/16/1997"), {}),
        (event_pb2.UserData(date_of_birth="02161997"), {}),
        (event_pb2.UserData(date_of_birth="1997/2/6"), {}),
        (event_pb2.UserData(date_of_birth="16/02/1997"), {"user_data.date_of_birth": "date_of_birth.format"}),
        (event_pb2.UserData(gender="x"), {"user_data.gender": "gender.value"}),
        (event_pb2.UserData(client_ip_address="999.1.2.3"), {"user_data.client_ip_address": "ip.format"}),
        (event_pb2.UserData(state="US-CA", country="US"), {}),
        (event_pb2.UserData(state="Atlantis", country="US"), {"user_data.state": "state.unknown"}),
    ],
)
def test_user_data_identifiers_are_optional_an_unusable_one_is_a_warning(user_data, problems):
    report = validate_event(good_event(user_data=user_data), NOW, DESTINATIONS)
    assert report.violations == []
    assert warnings(report) == problems
    assert set(report.dropped) == set(problems) - {"user_data.state"}


def test_a_dropped_identifier_names_the_destinations_the_event_goes_to_without_it():
    event = good_event(user_data=event_pb2.UserData(client_ip_address="not-an-ip"))
    event.destinations.extend(["tiktok", "meta"])
    [warning] = validate_event(event, NOW, {"meta", "tiktok", "ga4"}).warnings
    assert warning.field == "user_data.client_ip_address"
    assert warning.description == (
        "is not an IPv4 or IPv6 address; not sent: the event goes to tiktok, meta without it"
    )


def test_an_identifier_the_tracking_plan_requires_stays_an_error():
    from signalmesh.gateway.tracking_plan import TrackingRule

    plan = {"Purchase": TrackingRule("Purchase", required=("user_data.emails",))}
    report = validate_event(
        good_event(user_data=event_pb2.UserData(emails=["nope"])), NOW, DESTINATIONS, plan
    )
    assert fields(report) == {"user_data.emails[0]": "email.format"}
    assert "tracking plan requires it" in report.violations[0].description
    assert report.dropped == []


def test_a_one_of_alternative_is_optional_while_another_alternative_is_usable():
    from signalmesh.gateway.tracking_plan import TrackingRule

    plan = {"Purchase": TrackingRule("Purchase", required_one_of=("user_data.emails", "user_data.phones"))}
    both = event_pb2.UserData(emails=["nope"], phones=["+16505551212"])
    report = validate_event(good_event(user_data=both), NOW, DESTINATIONS, plan)
    assert report.violations == [] and report.dropped == ["user_data.emails[0]"]
    only_email = event_pb2.UserData(emails=["nope"], phones=["call me"])
    report = validate_event(good_event(user_data=only_email), NOW, DESTINATIONS, plan)
    assert fields(report) == {"user_data.emails[0]": "email.format", "user_data.phones[0]": "phone.format"}


def test_a_phone_without_country_code_or_country_says_how_to_fix_it():
    [warning] = validate_event(
        good_event(user_data=event_pb2.UserData(phones=["650 555 1212"])), NOW, DESTINATIONS
    ).warnings
    assert "set user_data.country" in warning.description and "no country code" in warning.description


def test_a_zero_value_purchase_is_accepted_with_a_warning():
    report = validate_event(good_event(value="0.00"), NOW, DESTINATIONS)
    assert report.violations == [] and [warning.reason for warning in report.warnings] == ["value.zero"]


def test_a_purchase_needs_a_value_and_another_event_does_not():
    assert fields(validate_event(good_event(value=""), NOW, DESTINATIONS)) == {"value": "value.required"}
    assert fields(validate_event(good_event(event_name="Lead", value=""), NOW, DESTINATIONS)) == {}


def test_each_content_price_must_be_a_decimal_and_is_named_by_its_index():
    event = good_event()
    event.contents.add(id="sku-1", item_price="9.99")
    event.contents.add(id="sku-2", item_price="9,99")
    [violation] = validate_event(event, NOW, DESTINATIONS).violations
    assert (violation.field, violation.reason) == ("contents[1].item_price", "value.decimal")
    assert "send 9.99" in violation.description


class NoChecks:
    """A connector that declares ``check_event = None``: it has no checks (as ChecksEvents says)."""

    check_event = None


def test_a_connector_whose_check_event_is_none_has_no_checks():
    event = good_event()
    event.click_ids.gclid = "bad"
    report = validate_event(event, NOW, DESTINATIONS, connectors=[NoChecks(), FormatChecker()])
    assert fields(report) == {"click_ids.gclid": "gclid.format"}
