"""The sandbox's LinkedIn request validation, as pure functions: every rule of platforms.md §4 is a row."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from signalmesh.sandbox.linkedin import (
    EMPTY_TOKEN,
    INVALID_TOKEN,
    MAX_AGE_MS,
    REQUIRED,
    UNRECOGNIZED,
    VERSION_MISSING,
    RestliError,
    Violation,
    batch_answer,
    batch_elements,
    bearer_token,
    check_protocol,
    check_version,
    fault_response,
    parse_body,
    unprocessable,
    validate_conversion_event,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
NOW_MS = int(NOW * 1000)
DAY_MS = 86_400_000


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()  # in ``changed``: delete the key


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def purchase() -> dict[str, Any]:
    return {
        "conversion": "urn:lla:llaPartnerConversion:123456",
        "conversionHappenedAt": NOW_MS - 60_000,
        "conversionValue": {"currencyCode": "USD", "amount": "29.90"},
        "eventId": "order-1",
        "user": {
            "userIds": [
                {"idType": "SHA256_EMAIL", "idValue": sha256("jane.doe@example.com")},
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": "df8a4e32-9b7d-4f5c"},
            ]
        },
    }


def changed(event: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with dotted paths set (digits index lists), or removed when REMOVE."""
    result = copy.deepcopy(event)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target: Any = result
        for parent in parents:
            target = target[int(parent)] if parent.isdigit() else target[parent]
        key: Any = int(leaf) if leaf.isdigit() else leaf
        if value is REMOVE:
            del target[key]
        else:
            target[key] = value
    return result


def paths(event: Any) -> list[str]:
    return [violation.path for violation in validate_conversion_event(event, NOW)]


def test_a_valid_purchase_has_no_violation() -> None:
    assert paths(purchase()) == []


ACCEPTED_VARIANTS = {
    "no conversionValue": {"conversionValue": REMOVE},
    "no eventId": {"eventId": REMOVE},
    "exactly 90 days old": {"conversionHappenedAt": NOW_MS - MAX_AGE_MS},
    "clock skew under 10 minutes": {"conversionHappenedAt": NOW_MS + 9 * 60_000},
    "userInfo with both names instead of userIds": {
        "user": {"userIds": [], "userInfo": {"firstName": "Jane", "lastName": "Doe", "countryCode": "US"}}
    },
    "lead instead of userIds": {"user": {"userIds": [], "lead": "urn:li:leadGenFormResponse:abc-1"}},
    "externalIds instead of userIds": {"user": {"userIds": [], "externalIds": ["crm-1"]}},
    "IPv4 plain-text address": {
        "user.userIds": [{"idType": "PLAINTEXT_IP_ADDRESS", "idValue": "203.0.113.7"}]
    },
    "third-party id": {"user.userIds": [{"idType": "ACXIOM_ID", "idValue": "AbC123"}]},
    "amount without decimals": {"conversionValue.amount": "1500"},
}


@pytest.mark.parametrize("changes", ACCEPTED_VARIANTS.values(), ids=ACCEPTED_VARIANTS.keys())
def test_documented_variants_are_accepted(changes: dict[str, Any]) -> None:
    assert paths(changed(purchase(), changes)) == []


REJECTED_EVENTS = [
    ({"conversion": REMOVE}, "/conversion", REQUIRED),
    ({"conversion": "urn:li:conversion:123456"}, "/conversion", "urn:lla:llaPartnerConversion"),
    ({"conversion": "urn:lla:llaPartnerConversion:abc"}, "/conversion", "urn:lla:llaPartnerConversion"),
    ({"conversionHappenedAt": REMOVE}, "/conversionHappenedAt", REQUIRED),
    # LinkedIn: epoch milliseconds (§4.3); seconds are the classic bug.
    ({"conversionHappenedAt": int(NOW) - 60}, "/conversionHappenedAt", "looks like epoch seconds"),
    ({"conversionHappenedAt": float(NOW_MS)}, "/conversionHappenedAt", "integer"),
    ({"conversionHappenedAt": str(NOW_MS)}, "/conversionHappenedAt", "integer"),
    ({"conversionHappenedAt": True}, "/conversionHappenedAt", "integer"),
    ({"conversionHappenedAt": NOW_MS - MAX_AGE_MS - 1}, "/conversionHappenedAt", "90 days"),
    ({"conversionHappenedAt": NOW_MS + 11 * 60_000}, "/conversionHappenedAt", "future"),
    ({"conversionValue": "29.90 USD"}, "/conversionValue", "object"),
    # LinkedIn: amount is a decimal string (§4.3, §6.2).
    ({"conversionValue.amount": 29.9}, "/conversionValue/amount", "not a number"),
    ({"conversionValue.amount": "$29.90"}, "/conversionValue/amount", "decimal string"),
    ({"conversionValue.amount": "29,90"}, "/conversionValue/amount", "decimal string"),
    ({"conversionValue.amount": REMOVE}, "/conversionValue/amount", REQUIRED),
    ({"conversionValue.currencyCode": "usd"}, "/conversionValue/currencyCode", "ISO 4217"),
    ({"conversionValue.currencyCode": "US$"}, "/conversionValue/currencyCode", "ISO 4217"),
    ({"conversionValue.currencyCode": REMOVE}, "/conversionValue/currencyCode", REQUIRED),
    ({"eventId": 42}, "/eventId", "string"),
    ({"eventId": ""}, "/eventId", "string"),
    ({"user": REMOVE}, "/user", REQUIRED),
    ({"user": "jane.doe@example.com"}, "/user", "object"),
    # LinkedIn: userIds must be present even when empty (§4.3, 2026 sources).
    ({"user.userIds": REMOVE}, "/user/userIds", "send []"),
    ({"user.userIds": {"idType": "SHA256_EMAIL"}}, "/user/userIds", "array"),
    ({"user.userIds.0.idValue": "jane.doe@example.com"}, "/user/userIds/0/idValue", "SHA-256"),
    (
        {"user.userIds.0.idValue": sha256("jane.doe@example.com").upper()},
        "/user/userIds/0/idValue",
        "SHA-256",
    ),
    ({"user.userIds.0.idValue": ""}, "/user/userIds/0/idValue", "non-empty"),
    ({"user.userIds.0.idValue": REMOVE}, "/user/userIds/0/idValue", REQUIRED),
    ({"user.userIds.1.idType": "PHONE"}, "/user/userIds/1/idType", "is not one of"),
    ({"user.userIds.1.idType": REMOVE}, "/user/userIds/1/idType", REQUIRED),
    ({"user.userIds.1": "df8a4e32"}, "/user/userIds/1", "object"),
    # LinkedIn: PLAINTEXT_IP_ADDRESS is IPv4 only (§4.3).
    (
        {"user.userIds.1": {"idType": "PLAINTEXT_IP_ADDRESS", "idValue": "2001:db8::1"}},
        "/user/userIds/1/idValue",
        "IPv4",
    ),
    (
        {"user.userIds.1": {"idType": "SHA256_IP_ADDRESS", "idValue": "203.0.113.7"}},
        "/user/userIds/1/idValue",
        "SHA-256",
    ),
    # LinkedIn: userInfo needs firstName and lastName (§4.3).
    ({"user.userInfo": {"firstName": "Jane"}}, "/user/userInfo/lastName", "firstName and lastName"),
    (
        {"user.userInfo": {"firstName": "Jane", "lastName": "Doe", "countryCode": "USA"}},
        "/user/userInfo/countryCode",
        "alpha-2",
    ),
    ({"user.userInfo": "Jane Doe"}, "/user/userInfo", "object"),
    ({"user.lead": "lead-1"}, "/user/lead", "leadGenFormResponse"),
    ({"user.externalIds": "crm-1"}, "/user/externalIds", "array"),
    ({"user.userIds": []}, "/user", "at least one of userIds"),
    # Rest.li refuses fields the schema does not know.
    ({"conversionHappenedAtMs": NOW_MS}, "/conversionHappenedAtMs", UNRECOGNIZED),
    ({"user.email": "jane.doe@example.com"}, "/user/email", UNRECOGNIZED),
]


@pytest.mark.parametrize(
    ("changes", "path", "says"), REJECTED_EVENTS, ids=[str(row[0]) for row in REJECTED_EVENTS]
)
def test_invalid_event_is_refused_naming_the_field_path(
    changes: dict[str, Any], path: str, says: str
) -> None:
    [violation] = validate_conversion_event(changed(purchase(), changes), NOW)
    assert violation.path == path
    assert says in violation.detail


def test_an_event_that_is_not_an_object_is_refused() -> None:
    assert paths(["urn:lla:llaPartnerConversion:1"]) == [""]


def test_every_violation_of_one_event_is_reported() -> None:
    broken = changed(
        purchase(), {"conversion": REMOVE, "conversionValue.amount": 29.9, "user.userIds": REMOVE}
    )
    assert paths(broken) == ["/conversion", "/conversionValue/amount", "/user/userIds"]


def test_rest_li_message_lists_each_violation_with_its_path() -> None:
    error = unprocessable([Violation("/conversion", REQUIRED), Violation("", "must be an object")])
    assert error.status == 422
    assert error.message == f"ERROR :: /conversion :: {REQUIRED}\nERROR :: / :: must be an object\n"
    assert error.to_body() == {"status": 422, "message": error.message}


def test_batch_answer_has_one_status_per_element_in_order() -> None:
    stale = changed(purchase(), {"conversionHappenedAt": NOW_MS - 91 * DAY_MS})
    answer = batch_answer([purchase(), stale, purchase()], NOW)
    assert [element["status"] for element in answer] == [201, 422, 201]
    error = answer[1]["error"]
    assert error["status"] == 422
    assert error["message"].startswith("ERROR :: /conversionHappenedAt :: is more than 90 days ago")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "elements"),
        ({"elements": []}, "at least one"),
        ({"elements": {"conversion": "x"}}, "elements"),
        ([purchase()], "elements"),
        ({"elements": [purchase()] * 5001}, "at most 5000 elements; this one has 5001"),
    ],
    ids=["no elements", "empty", "not a list", "bare array", "5001 elements"],
)
def test_batch_body_is_refused_as_a_whole_with_400(body: Any, says: str) -> None:
    error = batch_elements(body)
    assert isinstance(error, RestliError)
    assert error.status == 400 and says in error.message


def test_batch_of_5000_elements_is_allowed() -> None:
    assert batch_elements({"elements": [purchase()] * 5000}) == [purchase()] * 5000


def at(year: int, month: int, day: int, hour: int = 0) -> float:
    return datetime(year, month, day, hour, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("version", "now", "active"),
    [
        ("202609", NOW, True),
        ("202609.01", NOW, True),
        # LinkedIn FAQ: 202511 sunsets on 2026-11-16 (§4.1).
        ("202511", at(2026, 11, 15, 23), True),
        ("202511", at(2026, 11, 16), False),
        ("202512", at(2026, 11, 16), True),
        # A version from before its month does not exist yet.
        ("202612", NOW, False),
        ("202611", at(2026, 11, 1), True),
        ("202410", NOW, False),
    ],
)
def test_a_version_is_active_for_about_twelve_months(version: str, now: float, active: bool) -> None:
    error = check_version(version, now)
    assert (error is None) is active
    if error is not None:
        assert (error.status, error.code) == (426, "NONEXISTENT_VERSION")
        assert error.message == f"Requested version {version[:6]}01 is not active"


@pytest.mark.parametrize("version", ["v202609", "2026-09", "202613", "202600", "latest"])
def test_a_malformed_version_is_not_active(version: str) -> None:
    error = check_version(version, NOW)
    assert error is not None and (error.status, error.code) == (426, "NONEXISTENT_VERSION")
    assert version in error.message


@pytest.mark.parametrize("header", [None, "", "  "])
def test_a_missing_version_is_426_version_missing(header: str | None) -> None:
    assert check_version(header, NOW) == VERSION_MISSING
    assert VERSION_MISSING.status == 426


@pytest.mark.parametrize(
    ("header", "accepted"), [("2.0.0", True), (" 2.0.0 ", True), (None, False), ("1.0.0", False)]
)
def test_restli_protocol_version_must_be_2_0_0(header: str | None, accepted: bool) -> None:
    error = check_protocol(header)
    assert (error is None) is accepted
    if error is not None:
        assert error.status == 400 and "2.0.0" in error.message


@pytest.mark.parametrize(
    ("authorization", "token"),
    [
        ("Bearer t0k", "t0k"),
        ("bearer  t0k", "t0k"),
        ("t0k", None),
        ("Basic dXNlcjpwYXNz", None),
        (None, None),
    ],
)
def test_bearer_token_is_read_from_the_authorization_header(
    authorization: str | None, token: str | None
) -> None:
    assert bearer_token(authorization) == token


def test_auth_errors_are_401_in_rest_li_form() -> None:
    assert EMPTY_TOKEN.to_body() == {
        "status": 401,
        "message": "Empty oauth2_access_token",
        "serviceErrorCode": 65604,
    }
    assert INVALID_TOKEN.to_body() == {
        "status": 401,
        "message": "Invalid access token",
        "code": "INVALID_ACCESS_TOKEN",
        "serviceErrorCode": 65600,
    }


@pytest.mark.parametrize(
    ("raw", "says"), [(b"{not json", "not valid JSON"), (b"[]", "JSON object"), (b"\xff", "JSON")]
)
def test_a_body_that_is_not_a_json_object_is_400(raw: bytes, says: str) -> None:
    error = parse_body(raw)
    assert isinstance(error, RestliError) and error.status == 400 and says in error.message


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, "TOO_MANY_REQUESTS"), (500, "INTERNAL_SERVER_ERROR"), (503, "SERVICE_UNAVAILABLE")],
)
def test_injected_faults_answer_in_rest_li_form(status: int, code: str) -> None:
    response = fault_response(status)
    assert response.status == status
    assert isinstance(response.body, bytes)
    body = json.loads(response.body)
    assert (body["status"], body["code"]) == (status, code)
    assert body["message"]
