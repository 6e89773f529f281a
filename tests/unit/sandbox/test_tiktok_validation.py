"""The sandbox's TikTok request validation, as pure functions: every rule of platforms.md §3 is a row."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from signalmesh.sandbox.tiktok import (
    EMPTY_TOKEN,
    INVALID_BATCH_SIZE,
    INVALID_PARAMS,
    INVALID_TOKEN,
    PARAMETER_ERROR,
    PII_NOT_HASHED,
    TikTokError,
    dedup_key,
    new_request_id,
    token_error,
    validate_tiktok_request,
)

NOW = 1_780_000_000
DAY = 86_400


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()  # in ``changed``: delete the key


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def complete_payment() -> dict[str, Any]:
    return {
        "event": "CompletePayment",
        "event_time": NOW - 60,
        "event_id": "order-1",
        "user": {
            "email": [sha256("john.smith@example.com")],
            "phone": [sha256("+16505551212")],
            "external_id": [sha256("crm-42")],
            "ttclid": "E.C.P.AbC123",
            "ttp": "2YvOuhZ8Lx3ZkDuWbzq5tvbe9Zc",
            "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0",
        },
        "properties": {
            "value": 29.99,
            "currency": "USD",
            "contents": [{"content_id": "sku-1", "quantity": 1}],
        },
        "page": {"url": "https://shop.example/checkout"},
        "limited_data_use": False,
    }


def request(*events: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"event_source": "web", "event_source_id": "C4PIXEL", "data": list(events)} | top


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


def errors(body: Any) -> list[tuple[int, str]]:
    return [(error.code, error.message) for error in validate_tiktok_request(body, NOW)]


REJECTED_EVENTS = [
    ({"event": REMOVE}, "event", PARAMETER_ERROR),
    ({"event": " "}, "event", PARAMETER_ERROR),
    ({"event": 7}, "event", PARAMETER_ERROR),
    ({"event_id": 12345}, "event_id", PARAMETER_ERROR),
    ({"event_time": REMOVE}, "event_time", PARAMETER_ERROR),
    ({"event_time": str(NOW)}, "event_time", PARAMETER_ERROR),
    ({"event_time": float(NOW)}, "event_time", PARAMETER_ERROR),
    ({"event_time": True}, "event_time", PARAMETER_ERROR),
    ({"event_time": NOW - 7 * DAY - 1}, "event_time", PARAMETER_ERROR),
    ({"event_time": NOW + 601}, "event_time", PARAMETER_ERROR),
    ({"event_time": NOW * 1000}, "event_time", PARAMETER_ERROR),
    ({"user": "john.smith@example.com"}, "user", PARAMETER_ERROR),
    ({"user.email": "john.smith@example.com"}, "user.email", PII_NOT_HASHED),
    ({"user.email": sha256("john.smith@example.com").upper()}, "user.email", PII_NOT_HASHED),
    ({"user.email": []}, "user.email", PII_NOT_HASHED),
    ({"user.phone": [sha256("+16505551212"), "+16505551212"]}, "user.phone", PII_NOT_HASHED),
    ({"user.external_id": "crm-42"}, "user.external_id", PII_NOT_HASHED),
    ({"user.ip": "300.1.1.1"}, "user.ip", PARAMETER_ERROR),
    ({"user.ip": 2130706433}, "user.ip", PARAMETER_ERROR),
    ({"user.ttclid": ["E.C.P.AbC123"]}, "user.ttclid", PARAMETER_ERROR),
    ({"properties": "29.99 USD"}, "properties", PARAMETER_ERROR),
    ({"properties.value": "29.99"}, "properties.value", PARAMETER_ERROR),
    ({"properties.value": True}, "properties.value", PARAMETER_ERROR),
    ({"properties.currency": "US$"}, "properties.currency", PARAMETER_ERROR),
    ({"properties.currency": "EURO"}, "properties.currency", PARAMETER_ERROR),
    ({"properties.contents": {"content_id": "sku-1"}}, "properties.contents", PARAMETER_ERROR),
    ({"page": "https://shop.example"}, "page", PARAMETER_ERROR),
    ({"limited_data_use": "false"}, "limited_data_use", PARAMETER_ERROR),
]


@pytest.mark.parametrize(
    ("changes", "field", "code"), REJECTED_EVENTS, ids=[f"{row[0]}" for row in REJECTED_EVENTS]
)
def test_invalid_event_fails_the_batch_naming_its_field_with_a_tiktok_code(
    changes: dict[str, Any], field: str, code: int
) -> None:
    """The second event is the bad one: the message names ``data[1].<field>``."""
    [(error_code, message)] = errors(request(complete_payment(), changed(complete_payment(), changes)))
    assert error_code == code
    assert message.startswith(f"data[1].{field}: ")


ACCEPTED_EVENTS = [
    {},
    {"event_time": NOW - 7 * DAY},
    {"event_time": NOW + 600},
    {"event": "MyCustomEvent"},
    {"event_id": REMOVE},
    {"user": REMOVE},
    {"user.email": sha256("john.smith@example.com")},
    {"user.ip": "2001:db8::7"},
    {"properties": REMOVE},
    {"properties.value": 30},
    {"properties.currency": "usd"},
    {"page": REMOVE},
    {"limited_data_use": True},
]


@pytest.mark.parametrize("changes", ACCEPTED_EVENTS, ids=[f"{row}" for row in ACCEPTED_EVENTS])
def test_valid_event_is_accepted(changes: dict[str, Any]) -> None:
    assert errors(request(changed(complete_payment(), changes))) == []


@pytest.mark.parametrize("source", ["web", "app", "offline", "crm"])
def test_every_documented_event_source_is_accepted(source: str) -> None:
    assert errors(request(complete_payment(), event_source=source)) == []


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ([complete_payment()], INVALID_PARAMS, "JSON object"),
        (
            request(complete_payment(), event_source="website"),
            PARAMETER_ERROR,
            "event_source: must be one of",
        ),
        ({"event_source_id": "C4PIXEL", "data": [complete_payment()]}, PARAMETER_ERROR, "event_source:"),
        (request(complete_payment(), event_source_id=""), PARAMETER_ERROR, "event_source_id: required"),
        (request(complete_payment(), event_source_id=123), PARAMETER_ERROR, "event_source_id: required"),
        (request(complete_payment(), test_event_code=1), PARAMETER_ERROR, "test_event_code"),
        ({"event_source": "web", "event_source_id": "C4PIXEL"}, PARAMETER_ERROR, "data: required"),
        (request(), INVALID_BATCH_SIZE, "Invalid batch size"),
        (request(*[complete_payment()] * 1001), INVALID_BATCH_SIZE, "1 to 1000 events; it has 1001"),
        (request("not an event"), PARAMETER_ERROR, "data[0]: each event must be an object"),
    ],
)
def test_invalid_request_is_refused_with_tiktoks_code(body: Any, code: int, says: str) -> None:
    [(error_code, message)] = errors(body)
    assert error_code == code
    assert says in message


def test_batch_of_1000_events_is_accepted() -> None:
    assert errors(request(*[complete_payment()] * 1000)) == []


def test_unhashed_pii_message_says_so() -> None:
    [(_, message)] = errors(request(changed(complete_payment(), {"user.phone": "+16505551212"})))
    assert message.startswith("data[0].user.phone: PII not hashed: ")


def test_every_bad_event_is_reported_in_order() -> None:
    stale = changed(complete_payment(), {"event_time": NOW - 8 * DAY})
    nameless = changed(complete_payment(), {"event": REMOVE})
    assert [message.split(":")[0] for _, message in errors(request(stale, complete_payment(), nameless))] == [
        "data[0].event_time",
        "data[2].event",
    ]


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, EMPTY_TOKEN), ("", EMPTY_TOKEN), ("  ", EMPTY_TOKEN), ("stolen", INVALID_TOKEN)],
)
def test_missing_or_unknown_access_token_is_refused(token: str | None, code: int) -> None:
    refused = token_error(token, frozenset({"sandbox-token"}))
    assert refused is not None and refused.code == code


def test_known_access_token_passes() -> None:
    assert token_error("sandbox-token", frozenset({"sandbox-token"})) is None


def test_dedup_key_is_event_name_and_event_id() -> None:
    """The pixel is the recorder's destination, so (event, event_id) completes TikTok's key (§3.5)."""
    assert dedup_key(complete_payment()) == ("CompletePayment", "order-1")
    assert dedup_key(changed(complete_payment(), {"event_id": REMOVE})) is None
    assert dedup_key(changed(complete_payment(), {"event_id": ""})) is None


def test_error_body_is_tiktoks_envelope() -> None:
    body = TikTokError(PII_NOT_HASHED, "data[0].user.email: PII not hashed").to_body("2026REQ")
    assert body == {
        "code": 40062,
        "message": "data[0].user.email: PII not hashed",
        "request_id": "2026REQ",
        "data": {},
    }


def test_request_id_starts_with_the_utc_time() -> None:
    request_id = new_request_id(NOW)
    assert request_id.startswith("20260528")  # 1_780_000_000 = 2026-05-28 20:26:40 UTC
    assert request_id != new_request_id(NOW)
