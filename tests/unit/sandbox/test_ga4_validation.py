"""The sandbox's GA4 request validation, as pure functions: every rule of platforms.md §2A is a row."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from signalmesh.sandbox.ga4 import (
    EXCEEDED_MAX_ENTITIES,
    NAME_INVALID,
    NAME_RESERVED,
    VALUE_INVALID,
    VALUE_OUT_OF_BOUNDS,
    VALUE_REQUIRED,
    recorded_event,
    secret_problem,
    validate_ga4_request,
)

NOW = 1_780_000_000
HOUR = 3600


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def purchase_request() -> dict[str, Any]:
    return {
        "client_id": "1234567890.1779990000",
        "user_id": "crm-42",
        "consent": {"ad_user_data": "GRANTED", "ad_personalization": "DENIED"},
        "user_data": {
            "sha256_email_address": [sha256("janedoe@gmail.com")],
            "sha256_phone_number": [sha256("+16505551212")],
            "address": [
                {
                    "sha256_first_name": sha256("jane"),
                    "city": "st louis",
                    "postal_code": "63101",
                    "country": "US",
                }
            ],
        },
        "events": [
            {
                "name": "purchase",
                "timestamp_micros": (NOW - 60) * 1_000_000,
                "params": {
                    "transaction_id": "A-1",
                    "value": 29.99,
                    "currency": "USD",
                    "session_id": "1779990000",
                    "engagement_time_msec": 1200,
                    "items": [{"item_id": "sku-1", "quantity": 1}],
                },
            }
        ],
    }


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A valid request with the value at ``path`` replaced (``...`` deletes it)."""
    body = purchase_request()
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


def messages(body: Any, size: int = 1000) -> list[tuple[str, str]]:
    return [(m.field_path, m.validation_code) for m in validate_ga4_request(body, size, NOW).messages()]


def test_a_complete_purchase_is_valid() -> None:
    assert messages(purchase_request()) == []


# (what changes, the (fieldPath, validationCode) GA4 answers)
CASES: list[tuple[tuple[Any, ...], Any, list[tuple[str, str]]]] = [
    # §2A "Body": client_id is required for web streams.
    (("client_id",), ..., [("client_id", VALUE_REQUIRED)]),
    (("events",), [], [("events", VALUE_REQUIRED)]),
    # G6's own example: a leading '_' is NAME_INVALID.
    (("events", 0, "name"), "_badEventName", [("events", NAME_INVALID)]),
    (("events", 0, "name"), "session_start", [("events", NAME_RESERVED)]),
    (("events", 0, "name"), "google_thing", [("events", NAME_RESERVED)]),
    (("events", 0, "name"), "9lives", [("events", NAME_INVALID)]),
    (("events", 0, "name"), "x" * 41, [("events", NAME_INVALID)]),
    (("events", 0, "params", "bad-name"), "x", [("events[0].params.bad-name", NAME_INVALID)]),
    (("events", 0, "params", "ga_x"), "x", [("events[0].params.ga_x", NAME_RESERVED)]),
    (("events", 0, "params", "note"), "x" * 101, [("events[0].params.note", VALUE_OUT_OF_BOUNDS)]),
    (("events", 0, "params", "currency"), ..., [("events[0].params.currency", VALUE_REQUIRED)]),
    (("events", 0, "params", "currency"), "dollars", [("events[0].params.currency", VALUE_INVALID)]),
    (("events", 0, "params", "value"), "29.99", [("events[0].params.value", VALUE_INVALID)]),
    (("events", 0, "params", "transaction_id"), ..., [("events[0].params.transaction_id", VALUE_REQUIRED)]),
    (("events", 0, "params", "items"), [{"quantity": 1}], [("events[0].params.items[0]", VALUE_REQUIRED)]),
    (
        ("events", 0, "params", "engagement_time_msec"),
        -1,
        [("events[0].params.engagement_time_msec", VALUE_INVALID)],
    ),
    # §2A "Timestamps": up to 72 h back.
    (
        ("events", 0, "timestamp_micros"),
        (NOW - 73 * HOUR) * 1_000_000,
        [("events[0].timestamp_micros", VALUE_OUT_OF_BOUNDS)],
    ),
    (
        ("events", 0, "timestamp_micros"),
        (NOW + HOUR) * 1_000_000,
        [("events[0].timestamp_micros", VALUE_OUT_OF_BOUNDS)],
    ),
    (("events", 0, "timestamp_micros"), NOW - 60, [("events[0].timestamp_micros", VALUE_OUT_OF_BOUNDS)]),
    (("events", 0, "timestamp_micros"), "soon", [("events[0].timestamp_micros", VALUE_INVALID)]),
    # §2A "user_data": hashed fields are 64 lower-case hex; up to 3 values; address in clear.
    (
        ("user_data", "sha256_email_address"),
        ["janedoe@gmail.com"],
        [("user_data.sha256_email_address[0]", VALUE_INVALID)],
    ),
    (
        ("user_data", "sha256_email_address"),
        [sha256("a").upper()],
        [("user_data.sha256_email_address[0]", VALUE_INVALID)],
    ),
    (("user_data", "sha256_phone_number"), sha256("+1"), []),
    (
        ("user_data", "sha256_phone_number"),
        [sha256(str(index)) for index in range(4)],
        [("user_data.sha256_phone_number", EXCEEDED_MAX_ENTITIES)],
    ),
    (("user_data", "address", 0, "city"), sha256("st louis"), [("user_data.address[0].city", VALUE_INVALID)]),
    (
        ("user_data", "address", 0, "sha256_first_name"),
        "jane",
        [("user_data.address[0].sha256_first_name", VALUE_INVALID)],
    ),
    (("user_data", "address", 0, "country"), "USA", [("user_data.address[0].country", VALUE_INVALID)]),
    (("user_data", "address"), [{}, {}, {}], [("user_data.address", EXCEEDED_MAX_ENTITIES)]),
    (("user_data", "email"), "x", [("user_data.email", NAME_INVALID)]),
    (("consent", "ad_user_data"), "YES", [("consent.ad_user_data", VALUE_INVALID)]),
    (
        ("user_properties",),
        {"tier": {"value": "x" * 37}},
        [("user_properties.tier.value", VALUE_OUT_OF_BOUNDS)],
    ),
    (("user_properties",), {"a" * 25: {"value": "x"}}, [("user_properties." + "a" * 25, NAME_INVALID)]),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES)
def test_each_rule_names_its_field_and_code(
    path: tuple[Any, ...], value: Any, expected: list[tuple[str, str]]
) -> None:
    assert messages(changed(path, value)) == expected


def test_name_messages_take_googles_published_shape() -> None:
    """G6's example: fieldPath "events", the index and the name in the description."""
    [message] = validate_ga4_request(changed(("events", 0, "name"), "9lives"), 1000, NOW).messages()
    assert message.as_json()["description"].startswith("Event at index: [0] has invalid name [9lives].")
    assert set(message.as_json()) == {"fieldPath", "description", "validationCode"}


def test_more_than_25_events_is_refused() -> None:
    body = purchase_request()
    body["events"] = [copy.deepcopy(body["events"][0]) for _ in range(26)]
    assert messages(body) == [("events", EXCEEDED_MAX_ENTITIES)]
    body["events"] = body["events"][:25]
    assert messages(body) == []


def test_a_body_of_130_kb_or_more_is_refused() -> None:
    assert messages(purchase_request(), size=129_999) == []
    assert messages(purchase_request(), size=130_000) == [("", VALUE_OUT_OF_BOUNDS)]


def test_a_request_message_drops_every_event_an_event_message_only_its_own() -> None:
    body = purchase_request()
    body["events"].append(copy.deepcopy(body["events"][0]))
    body["events"][1]["name"] = "first_open"
    validation = validate_ga4_request(body, 1000, NOW)
    assert (validation.for_event(0), [m.validation_code for m in validation.for_event(1)]) == (
        [],
        [NAME_RESERVED],
    )
    del body["client_id"]
    validation = validate_ga4_request(body, 1000, NOW)
    assert [m.field_path for m in validation.for_event(0)] == ["client_id"]


def test_a_body_that_is_not_an_object_is_invalid() -> None:
    assert messages([1, 2]) == [("", VALUE_INVALID)]


def test_secret_problems() -> None:
    assert secret_problem("G-1", "s3cret", {"s3cret"}) is None
    assert secret_problem("G-1", "stolen", {"s3cret"}) is not None
    assert secret_problem("", "s3cret", {"s3cret"}) is not None


def test_recorded_event_carries_request_fields_under_the_events_own() -> None:
    body = {"client_id": "1.2", "timestamp_micros": 5, "events": [{"name": "x", "timestamp_micros": 7}]}
    assert recorded_event(body, body["events"][0]) == {"client_id": "1.2", "timestamp_micros": 7, "name": "x"}
