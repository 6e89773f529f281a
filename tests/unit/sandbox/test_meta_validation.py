"""The sandbox's Meta request validation, as pure functions: every rule of platforms.md §1 is a row."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from signalmesh.sandbox.meta import (
    INSUFFICIENT_CUSTOMER_INFORMATION,
    INVALID_CLICK_ID,
    INVALID_TOKEN,
    INVALID_VALUE,
    MISSING_PARAMETER,
    TIMESTAMP_IN_FUTURE,
    TIMESTAMP_TOO_OLD,
    UNHASHED_CUSTOMER_INFORMATION,
    MetaError,
    access_token_of,
    dedup_key,
    parse_meta_body,
    validate_meta_request,
)

NOW = 1_780_000_000
DAY = 86_400


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()  # in ``changed``: delete the key


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def website_purchase() -> dict[str, Any]:
    return {
        "event_name": "Purchase",
        "event_time": NOW - 60,
        "event_id": "order-1",
        "action_source": "website",
        "event_source_url": "https://shop.example/checkout",
        "user_data": {
            "em": [sha256("john_smith@gmail.com")],
            "ph": [sha256("16505551212")],
            "external_id": ["crm-42"],
            "client_ip_address": "203.0.113.7",
            "client_user_agent": "Mozilla/5.0",
            "fbc": "fb.1.1554763741205.AbCdEf",
            "fbp": "fb.1.1596403881668.1116446470",
        },
        "custom_data": {"value": 29.99, "currency": "USD"},
    }


def changed(event: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with dotted paths set, or removed when the value is REMOVE."""
    result = copy.deepcopy(event)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = result
        for parent in parents:
            target = target[parent]
        if value is REMOVE:
            del target[leaf]
        else:
            target[leaf] = value
    return result


def server_lead(user_data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_name": "Lead",
        "event_time": NOW - 60,
        "action_source": "system_generated",
        "user_data": user_data,
    }


def violations(*events: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(blamed field, subcode) for every error, in order."""
    return [
        (error.blame[-1] if error.blame else "", error.subcode)
        for error in validate_meta_request({"data": list(events)}, NOW)
    ]


REJECTED_EVENTS = [
    ({"event_name": REMOVE}, "event_name", MISSING_PARAMETER),
    ({"event_name": ""}, "event_name", MISSING_PARAMETER),
    ({"event_name": 7}, "event_name", INVALID_VALUE),
    ({"event_id": ["order-1"]}, "event_id", INVALID_VALUE),
    ({"event_time": REMOVE}, "event_time", MISSING_PARAMETER),
    ({"event_time": str(NOW)}, "event_time", INVALID_VALUE),
    ({"event_time": float(NOW)}, "event_time", INVALID_VALUE),
    ({"event_time": NOW - 7 * DAY - 1}, "event_time", TIMESTAMP_TOO_OLD),
    ({"event_time": NOW + 601}, "event_time", TIMESTAMP_IN_FUTURE),
    ({"event_time": NOW * 1000}, "event_time", TIMESTAMP_IN_FUTURE),
    ({"action_source": REMOVE}, "action_source", MISSING_PARAMETER),
    ({"action_source": "web"}, "action_source", INVALID_VALUE),
    ({"event_source_url": REMOVE}, "event_source_url", MISSING_PARAMETER),
    ({"user_data.client_user_agent": REMOVE}, "user_data.client_user_agent", MISSING_PARAMETER),
    ({"user_data": REMOVE}, "user_data", MISSING_PARAMETER),
    ({"user_data": "john_smith@gmail.com"}, "user_data", INVALID_VALUE),
    ({"user_data.em": "john_smith@gmail.com"}, "user_data.em", UNHASHED_CUSTOMER_INFORMATION),
    ({"user_data.em": sha256("john_smith@gmail.com").upper()}, "user_data.em", UNHASHED_CUSTOMER_INFORMATION),
    ({"user_data.ph": [sha256("16505551212"), "16505551212"]}, "user_data.ph", UNHASHED_CUSTOMER_INFORMATION),
    ({"user_data.ct": "paris"}, "user_data.ct", UNHASHED_CUSTOMER_INFORMATION),
    ({"user_data.country": "us"}, "user_data.country", UNHASHED_CUSTOMER_INFORMATION),
    ({"user_data.external_id": 42}, "user_data.external_id", INVALID_VALUE),
    ({"user_data.client_ip_address": "300.1.1.1"}, "user_data.client_ip_address", INVALID_VALUE),
    ({"user_data.client_ip_address": "203.0.113.7 "}, "user_data.client_ip_address", INVALID_VALUE),
    ({"user_data.fbc": "fb.1.AbCdEf"}, "user_data.fbc", INVALID_CLICK_ID),
    ({"user_data.fbc": "fb.1.1554763741.AbCdEf"}, "user_data.fbc", INVALID_CLICK_ID),
    ({"user_data.fbc": "fb.1.1554763741205."}, "user_data.fbc", INVALID_CLICK_ID),
    ({"user_data.fbp": "1596403881668.1116446470"}, "user_data.fbp", INVALID_CLICK_ID),
    ({"custom_data": "29.99 USD"}, "custom_data", INVALID_VALUE),
    ({"custom_data.value": "29.99"}, "custom_data.value", INVALID_VALUE),
    ({"custom_data.value": True}, "custom_data.value", INVALID_VALUE),
    ({"custom_data.value": REMOVE}, "custom_data.value", MISSING_PARAMETER),
    ({"custom_data.currency": "US$"}, "custom_data.currency", INVALID_VALUE),
    ({"custom_data.currency": REMOVE}, "custom_data.currency", MISSING_PARAMETER),
]


@pytest.mark.parametrize(
    ("changes", "field", "subcode"), REJECTED_EVENTS, ids=[f"{row[0]}" for row in REJECTED_EVENTS]
)
def test_invalid_event_is_blamed_on_its_field_with_a_meta_subcode(
    changes: dict[str, Any], field: str, subcode: int
) -> None:
    assert violations(changed(website_purchase(), changes)) == [(field, subcode)]


ACCEPTED_EVENTS = [
    {},
    {"event_time": NOW - 7 * DAY},
    {"event_time": NOW + 600},
    {"action_source": "physical_store", "event_time": NOW - 62 * DAY},
    {"event_id": 12345},
    {"event_id": REMOVE},
    {"user_data.em": sha256("john_smith@gmail.com")},
    {"user_data.client_ip_address": "2001:db8::7"},
    {"user_data.fbc": "fb.1.1554763741205.AbCdEf.Ag"},
    {"custom_data.currency": "usd", "custom_data.value": 30},
    {"event_name": "ViewContent", "custom_data": REMOVE},
    {"partner_agent_field_is_ignored": True},
]


@pytest.mark.parametrize("changes", ACCEPTED_EVENTS, ids=[f"{changes}" for changes in ACCEPTED_EVENTS])
def test_valid_event_has_no_violations(changes: dict[str, Any]) -> None:
    assert violations(changed(website_purchase(), changes)) == []


H = sha256("x")


def present_keys(user_data: dict[str, Any]) -> str:
    return "+".join(sorted(user_data)) or "no keys"


# Meta §1.12: customer information that is only a subset of a weak set cannot match anyone.
INSUFFICIENT_USER_DATA = [
    {},
    {"unknown_key": "value"},
    {"ge": H},
    {"fn": H, "ge": H},
    {"ln": H, "ge": H},
    {"db": H, "client_user_agent": "Mozilla/5.0"},
    {"client_user_agent": "Mozilla/5.0"},
    {"ct": H, "country": H, "st": H, "zp": H, "ge": H, "client_user_agent": "Mozilla/5.0"},
]
SUFFICIENT_USER_DATA = [
    {"em": H},
    {"fn": H, "ln": H},
    {"fn": H, "ge": H, "zp": H},
    {"external_id": "crm-42"},
    {"client_ip_address": "203.0.113.7", "client_user_agent": "Mozilla/5.0"},
    {"fbp": "fb.1.1596403881668.1116446470"},
]


@pytest.mark.parametrize("user_data", INSUFFICIENT_USER_DATA, ids=present_keys)
def test_user_data_below_minimum_customer_information_is_rejected(user_data: dict[str, Any]) -> None:
    assert violations(server_lead(user_data)) == [("user_data", INSUFFICIENT_CUSTOMER_INFORMATION)]


@pytest.mark.parametrize("user_data", SUFFICIENT_USER_DATA, ids=present_keys)
def test_user_data_meeting_minimum_customer_information_is_accepted(user_data: dict[str, Any]) -> None:
    assert violations(server_lead(user_data)) == []


def test_physical_store_event_older_than_62_days_is_too_old() -> None:
    event = changed(website_purchase(), {"action_source": "physical_store", "event_time": NOW - 62 * DAY - 1})
    assert violations(event) == [("event_time", TIMESTAMP_TOO_OLD)]


def test_purchase_without_custom_data_needs_value_and_currency() -> None:
    event = changed(website_purchase(), {"custom_data": REMOVE})
    assert violations(event) == [
        ("custom_data.value", MISSING_PARAMETER),
        ("custom_data.currency", MISSING_PARAMETER),
    ]


def test_every_bad_event_is_blamed_by_its_index_in_data() -> None:
    good = website_purchase()
    unhashed = changed(good, {"user_data.em": "john_smith@gmail.com"})
    bad_fbc = changed(good, {"user_data.fbc": "AbCdEf"})
    errors = validate_meta_request({"data": [good, unhashed, bad_fbc, "not an event"]}, NOW)
    assert [error.blame for error in errors] == [
        ("data", "1", "user_data.em"),
        ("data", "2", "user_data.fbc"),
        ("data", "3"),
    ]


def test_unhashed_email_error_says_it_must_be_hashed() -> None:
    [error] = validate_meta_request({"data": [changed(website_purchase(), {"user_data.em": "a@b.co"})]}, NOW)
    assert error.user_msg is not None and "user_data.em must be hashed with SHA-256" in error.user_msg


REQUEST_ERRORS = [
    ({}, "data is required"),
    ({"data": {"event_name": "Purchase"}}, "non-empty array"),
    ({"data": []}, "non-empty array"),
    ({"data": [website_purchase()] * 1001}, "at most 1000 events"),
    ({"data": [website_purchase()], "test_event_code": 12345}, "test_event_code must be a string"),
    ({"data": [website_purchase()], "partner_agent": ["x"]}, "partner_agent must be a string"),
]


@pytest.mark.parametrize(("body", "says"), REQUEST_ERRORS, ids=[says for _, says in REQUEST_ERRORS])
def test_malformed_request_is_one_code_100_error_without_subcode(body: dict[str, Any], says: str) -> None:
    [error] = validate_meta_request(body, NOW)
    assert (error.code, error.subcode, error.http_status) == (100, None, 400)
    assert says in error.message


def test_batch_of_exactly_1000_events_is_accepted() -> None:
    assert validate_meta_request({"data": [website_purchase()] * 1000, "test_event_code": "TEST1"}, NOW) == []


def test_event_error_renders_graph_error_body() -> None:
    stale = changed(website_purchase(), {"event_time": NOW - 8 * DAY})
    [error] = validate_meta_request({"data": [stale]}, NOW)
    assert error.to_body("TRACE") == {
        "error": {
            "message": "Invalid parameter",
            "type": "OAuthException",
            "code": 100,
            "error_subcode": 2804003,
            "is_transient": False,
            "error_user_title": "Event Timestamp Too Old",
            "error_user_msg": error.user_msg,
            "error_data": {"blame_field_specs": [["data", "0", "event_time"]]},
            "fbtrace_id": "TRACE",
        }
    }


def test_invalid_token_renders_graph_oauth_error_190() -> None:
    assert INVALID_TOKEN.http_status == 400
    assert INVALID_TOKEN.to_body("TRACE") == {
        "error": {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": "TRACE",
        }
    }


PARSED_BODIES = [
    ("application/json", b'{"data": [], "test_event_code": "T1"}', {"data": [], "test_event_code": "T1"}),
    (
        "application/x-www-form-urlencoded",
        b"data=%5B%7B%22event_name%22%3A%22Lead%22%7D%5D&access_token=tok",
        {"data": [{"event_name": "Lead"}], "access_token": "tok"},
    ),
    ("application/json", b"", {}),
    ("application/octet-stream", b'{"data": [1]}', {"data": [1]}),
]


@pytest.mark.parametrize(("content_type", "raw", "expected"), PARSED_BODIES)
def test_body_is_parsed_from_json_or_form_fields(
    content_type: str, raw: bytes, expected: dict[str, Any]
) -> None:
    assert parse_meta_body(content_type, raw) == expected


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/json", b"\xff\xfe"),
        ("application/x-www-form-urlencoded", b"data=%5Bnot+json"),
    ],
)
def test_unparseable_body_is_a_code_100_error(content_type: str, raw: bytes) -> None:
    error = parse_meta_body(content_type, raw)
    assert isinstance(error, MetaError) and error.code == 100


ACCESS_TOKENS = [
    ({"access_token": "q"}, None, {}, "q"),
    ({}, None, {"access_token": "b"}, "b"),
    ({}, "Bearer h", {}, "h"),
    ({}, "OAuth h", {}, "h"),
    ({"access_token": "q"}, "Bearer h", {"access_token": "b"}, "q"),
    ({}, "Basic dXNlcjpwdw==", {}, None),
    ({}, None, {"access_token": 42}, None),
    ({}, None, {}, None),
]


@pytest.mark.parametrize(("query", "authorization", "body", "expected"), ACCESS_TOKENS)
def test_access_token_comes_from_query_body_or_authorization_header(
    query: dict[str, str], authorization: str | None, body: dict[str, Any], expected: str | None
) -> None:
    assert access_token_of(query, authorization, body) == expected


def test_dedup_key_is_event_name_and_event_id() -> None:
    assert dedup_key({"event_name": "Purchase", "event_id": 17}) == ("Purchase", "17")
    assert dedup_key({"event_name": "Purchase", "event_id": "17"}) == ("Purchase", "17")
    assert dedup_key({"event_name": "Purchase"}) is None
    assert dedup_key({"event_name": "Purchase", "event_id": ""}) is None
