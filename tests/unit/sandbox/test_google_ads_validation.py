"""The sandbox's Google Ads upload validation, as pure functions: every rule of platforms.md §2B is a row."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from signalmesh.sandbox.google_ads import (
    MAX_CONVERSIONS_PER_REQUEST,
    AdsError,
    RequestFailure,
    Upload,
    authenticate,
    dedup_key,
    duplicate_error,
    parse_upload,
    upload_response,
    validate_conversion,
)

NOW = 1_795_176_060.0  # 2026-11-20 12:01:00 UTC
CUSTOMER = "1234567890"
TOKENS = frozenset({"sandbox-token"})


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()  # in ``changed``: delete the key


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def click_conversion() -> dict[str, Any]:
    return {
        "gclid": "Cj0KCQiA1234567890abcdef",
        "conversionAction": f"customers/{CUSTOMER}/conversionActions/987654321",
        "conversionDateTime": "2026-11-20 12:00:00+00:00",
        "conversionValue": 29.99,
        "currencyCode": "USD",
        "orderId": "order-1",
        "userIdentifiers": [
            {"hashedEmail": sha256("janedoe@gmail.com"), "userIdentifierSource": "FIRST_PARTY"},
            {"hashedPhoneNumber": sha256("+16505551212"), "userIdentifierSource": "FIRST_PARTY"},
        ],
        "consent": {"adUserData": "GRANTED"},
    }


def changed(row: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with keys set, or removed when the value is REMOVE."""
    result = copy.deepcopy(row)
    for key, value in changes.items():
        if value is REMOVE:
            del result[key]
        else:
            result[key] = value
    return result


def codes(row: dict[str, Any], index: int = 0) -> list[tuple[str, str]]:
    """(``category.CODE``, field path inside the row) of every error row ``index`` earns."""
    errors = validate_conversion(row, index, CUSTOMER, NOW)
    for error in errors:
        assert error.path[0] == ("conversions", index), error
    return [(f"{error.category}.{error.code}", error.where().partition(".")[2]) for error in errors]


def body(*conversions: dict[str, Any], **top: Any) -> bytes:
    return json.dumps({"conversions": list(conversions), "partialFailure": True} | top).encode()


REFUSED_ROWS = [
    # Google Ads: at most one click id; gbraid plus wbraid has its own code (§2B).
    (
        {"gbraid": "0AAAAAgbraid123456", "gclid": REMOVE, "wbraid": "wbraid_ABCDEFGHIJ"},
        "conversionUploadError.GBRAID_WBRAID_BOTH_SET",
        "wbraid",
    ),
    # Google's samples: gclid excludes both braids (§2B).
    ({"wbraid": "wbraid_ABCDEFGHIJ"}, "fieldError.VALUE_MUST_BE_UNSET", "wbraid"),
    ({"gbraid": "0AAAAAgbraid123456"}, "fieldError.VALUE_MUST_BE_UNSET", "gbraid"),
    ({"gclid": "not a gclid!"}, "conversionUploadError.UNPARSEABLE_GCLID", "gclid"),
    ({"gclid": REMOVE, "userIdentifiers": REMOVE}, "fieldError.REQUIRED", "gclid"),
    ({"conversionAction": REMOVE}, "fieldError.REQUIRED", "conversion_action"),
    ({"conversionAction": "987654321"}, "requestError.RESOURCE_NAME_MALFORMED", "conversion_action"),
    (
        {"conversionAction": "customers/999/conversionActions/1"},
        "conversionUploadError.NO_CONVERSION_ACTION_FOUND",
        "conversion_action",
    ),
    ({"conversionDateTime": REMOVE}, "fieldError.REQUIRED", "conversion_date_time"),
    # Google Ads: "yyyy-mm-dd hh:mm:ss+|-hh:mm", the offset required (§2B).
    (
        {"conversionDateTime": "2026-11-20 12:00:00"},
        "dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
        "conversion_date_time",
    ),
    (
        {"conversionDateTime": "2026-11-20T12:00:00+00:00"},
        "dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
        "conversion_date_time",
    ),
    (
        {"conversionDateTime": "2026-11-20 12:00:00Z"},
        "dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
        "conversion_date_time",
    ),
    (
        {"conversionDateTime": "1795176000"},
        "dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
        "conversion_date_time",
    ),
    (
        {"conversionDateTime": "2026-02-30 12:00:00+00:00"},
        "dateError.INVALID_FIELD_VALUES_IN_DATE_TIME",
        "conversion_date_time",
    ),
    (
        {"conversionDateTime": "2026-11-20 12:12:00+00:00"},
        "dateError.LATER_THAN_MAXIMUM_DATE",
        "conversion_date_time",
    ),
    (
        {"conversionDateTime": "2026-08-21 12:00:00+00:00"},
        "conversionUploadError.EXPIRED_EVENT",
        "conversion_date_time",
    ),
    ({"currencyCode": "usd"}, "currencyCodeError.UNSUPPORTED", "currency_code"),
    ({"orderId": "jane@example.com"}, "conversionUploadError.ORDER_ID_CONTAINS_PII", "order_id"),
    # Google Ads: hashed identifiers are SHA-256 hex of the normalised value (§2B, §2C).
    (
        {"userIdentifiers": [{"hashedEmail": "janedoe@gmail.com"}]},
        "conversionUploadError.INVALID_USER_IDENTIFIER",
        "user_identifiers[0]",
    ),
    (
        {"userIdentifiers": [{"hashedPhoneNumber": "+16505551212"}]},
        "conversionUploadError.INVALID_USER_IDENTIFIER",
        "user_identifiers[0]",
    ),
    (
        {"userIdentifiers": [{"hashedEmail": sha256("a@b.co").upper()}]},
        "conversionUploadError.INVALID_USER_IDENTIFIER",
        "user_identifiers[0]",
    ),
    # One kind per UserIdentifier: it is a oneof (§2B).
    (
        {"userIdentifiers": [{"hashedEmail": sha256("a@b.co"), "hashedPhoneNumber": sha256("+1650")}]},
        "conversionUploadError.INVALID_USER_IDENTIFIER",
        "user_identifiers[0]",
    ),
    # Click uploads take only hashed email and phone (§2B).
    (
        {"userIdentifiers": [{"addressInfo": {"hashedFirstName": sha256("jane")}}]},
        "conversionUploadError.UNSUPPORTED_USER_IDENTIFIER",
        "user_identifiers[0]",
    ),
    (
        {"userIdentifiers": [{"hashedEmail": sha256(f"{n}@b.co")} for n in range(6)]},
        "collectionSizeError.TOO_MANY",
        "user_identifiers",
    ),
    ({"consent": {"adUserData": "YES"}}, "requestError.INVALID_ENUM_VALUE", "consent.ad_user_data"),
]


@pytest.mark.parametrize(
    ("changes", "code", "field"), REFUSED_ROWS, ids=[row[1] + str(row[0]) for row in REFUSED_ROWS]
)
def test_invalid_row_earns_googles_error_code_at_its_field(
    changes: dict[str, Any], code: str, field: str
) -> None:
    """Row 3 is the bad one: every error's location starts with ``conversions[3]``."""
    assert codes(changed(click_conversion(), changes), index=3) == [(code, field)]


ACCEPTED_ROWS = [
    {},
    {"gclid": REMOVE, "wbraid": "wbraid_ABCDEFGHIJ"},
    {"gclid": REMOVE, "gbraid": "0AAAAAgbraid123456"},
    # Enhanced conversions for leads: hashed identifiers without a click id (§2B, G8).
    {"gclid": REMOVE},
    {"userIdentifiers": REMOVE},
    {"conversionDateTime": "2026-11-20 04:00:00-08:00"},
    {"conversionDateTime": "2026-11-20 12:00:00.250+00:00"},
    {"conversionDateTime": "2026-08-22 12:02:00+00:00"},
    {"conversionValue": 30, "currencyCode": "EUR"},
    {"orderId": REMOVE, "consent": REMOVE},
    {"consent": {"adUserData": "DENIED"}},
]


@pytest.mark.parametrize("changes", ACCEPTED_ROWS, ids=[str(row) for row in ACCEPTED_ROWS])
def test_valid_row_is_accepted(changes: dict[str, Any]) -> None:
    assert codes(changed(click_conversion(), changes)) == []


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    row = changed(click_conversion(), {"conversionDateTime": "yesterday", "currencyCode": "$"})
    assert [code for code, _ in codes(row)] == [
        "dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
        "currencyCodeError.UNSUPPORTED",
    ]


@pytest.mark.parametrize(
    ("authorization", "developer_token", "http_status", "status", "code"),
    [
        (None, "dev", 401, "UNAUTHENTICATED", None),
        ("Basic c2FuZGJveA==", "dev", 401, "UNAUTHENTICATED", None),
        ("Bearer ", "dev", 401, "UNAUTHENTICATED", None),
        # An expired, revoked or unknown OAuth token.
        ("Bearer ya29.expired", "dev", 401, "UNAUTHENTICATED", "authenticationError.OAUTH_TOKEN_INVALID"),
        (
            "Bearer sandbox-token",
            None,
            400,
            "INVALID_ARGUMENT",
            "requestError.DEVELOPER_TOKEN_PARAMETER_MISSING",
        ),
        (
            "Bearer sandbox-token",
            "  ",
            400,
            "INVALID_ARGUMENT",
            "requestError.DEVELOPER_TOKEN_PARAMETER_MISSING",
        ),
    ],
)
def test_credentials_are_checked_before_the_body(
    authorization: str | None, developer_token: str | None, http_status: int, status: str, code: str | None
) -> None:
    refused = authenticate(authorization, developer_token, TOKENS)
    assert isinstance(refused, RequestFailure)
    assert (refused.http_status, refused.status) == (http_status, status)
    assert [f"{error.category}.{error.code}" for error in refused.errors] == ([code] if code else [])
    rpc = refused.to_body("v25")["error"]
    assert (rpc["code"], rpc["status"]) == (http_status, status)


def test_a_known_token_with_a_developer_token_passes() -> None:
    assert authenticate("Bearer sandbox-token", "dev-token", TOKENS) is None


@pytest.mark.parametrize(
    ("raw", "customer", "login", "code"),
    [
        (
            body(click_conversion(), partialFailure=False),
            CUSTOMER,
            None,
            "partialFailureError.PARTIAL_FAILURE_MODE_REQUIRED",
        ),
        (
            json.dumps({"conversions": [click_conversion()]}).encode(),
            CUSTOMER,
            None,
            "partialFailureError.PARTIAL_FAILURE_MODE_REQUIRED",
        ),
        (body(), CUSTOMER, None, "fieldError.REQUIRED"),
        (
            body(*[click_conversion()] * (MAX_CONVERSIONS_PER_REQUEST + 1)),
            CUSTOMER,
            None,
            "conversionUploadError.TOO_MANY_CONVERSIONS_IN_REQUEST",
        ),
        (body(click_conversion()), "123-456-7890", None, "requestError.INVALID_CUSTOMER_ID"),
        (body(click_conversion()), CUSTOMER, "111-222-3333", "requestError.INVALID_CUSTOMER_ID"),
    ],
)
def test_request_level_problems_fail_the_whole_request_with_400(
    raw: bytes, customer: str, login: str | None, code: str
) -> None:
    refused = parse_upload(raw, customer, login)
    assert isinstance(refused, RequestFailure)
    assert (refused.http_status, refused.status) == (400, "INVALID_ARGUMENT")
    assert [f"{error.category}.{error.code}" for error in refused.errors] == [code]
    [detail] = refused.to_body("v25")["error"]["details"]
    assert detail["@type"] == "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "Invalid JSON payload received."),
        (b"[1, 2]", "Expected a JSON object."),
        (body(click_conversion(), debugEnabled=True), "Unknown name 'debugEnabled'"),
        (body(changed(click_conversion(), {"clickId": "x"})), "Unknown name 'clickId'"),
        (body(changed(click_conversion(), {"conversionValue": "29.99"})), "conversions[0].conversion_value"),
        (body(click_conversion(), partialFailure="true"), "Invalid value at 'partial_failure'"),
    ],
)
def test_json_google_cannot_read_is_invalid_argument_without_ads_details(raw: bytes, says: str) -> None:
    refused = parse_upload(raw, CUSTOMER, None)
    assert isinstance(refused, RequestFailure)
    assert (refused.http_status, refused.status, refused.errors) == (400, "INVALID_ARGUMENT", ())
    assert says in refused.message


def test_2000_conversions_and_snake_case_names_are_accepted() -> None:
    snake = {
        "order_id": "o-1",
        "conversion_date_time": "2026-11-20 12:00:00+00:00",
        "gclid": "Cj0KCQiA123456",
    }
    raw = json.dumps(
        {"conversions": [snake] * MAX_CONVERSIONS_PER_REQUEST, "partial_failure": True, "validate_only": True}
    ).encode()
    parsed = parse_upload(raw, CUSTOMER, "1112223333")
    assert isinstance(parsed, Upload)
    assert (len(parsed.conversions), parsed.validate_only) == (MAX_CONVERSIONS_PER_REQUEST, True)
    assert parsed.conversions[0]["orderId"] == "o-1"


def test_dedup_key_is_the_order_id_per_action_else_the_click_and_time() -> None:
    row = click_conversion()
    assert dedup_key(row) == ("ORDER_ID", (row["conversionAction"], "order-1"))
    without_order = changed(row, {"orderId": REMOVE})
    assert dedup_key(without_order) == ("CLICK", ("gclid", row["gclid"], row["conversionDateTime"]))
    assert dedup_key(changed(without_order, {"gclid": REMOVE})) is None


@pytest.mark.parametrize(
    ("kind", "in_request", "code", "field"),
    [
        ("ORDER_ID", False, "ORDER_ID_ALREADY_IN_USE", "order_id"),
        ("ORDER_ID", True, "DUPLICATE_ORDER_ID", "order_id"),
        ("CLICK", False, "CLICK_CONVERSION_ALREADY_EXISTS", "conversion_date_time"),
        ("CLICK", True, "DUPLICATE_CLICK_CONVERSION_IN_REQUEST", "conversion_date_time"),
    ],
)
def test_duplicates_get_googles_code_for_where_the_first_copy_was(
    kind: str, in_request: bool, code: str, field: str
) -> None:
    error = duplicate_error(kind, 4, in_request=in_request)
    assert (error.category, error.code, error.where()) == (
        "conversionUploadError",
        code,
        f"conversions[4].{field}",
    )


def test_partial_failure_answer_has_empty_results_for_failed_rows_and_indexed_errors() -> None:
    """The real shape: results per row (failed ones empty), partialFailureError.details[].errors[]
    located by fieldPathElements[{fieldName: "conversions", index: N}] (§2B)."""
    error = AdsError(
        "conversionUploadError", "UNPARSEABLE_GCLID", "Bad gclid.", (("conversions", 1), ("gclid", None))
    )
    answer = upload_response([{"gclid": "a"}, {}], [error], "v25", validate_only=False)
    assert answer["results"] == [{"gclid": "a"}, {}]
    failure = answer["partialFailureError"]
    assert failure["code"] == 3 and failure["message"] == "Bad gclid., at conversions[1].gclid"
    [detail] = failure["details"]
    assert detail["errors"] == [
        {
            "errorCode": {"conversionUploadError": "UNPARSEABLE_GCLID"},
            "message": "Bad gclid.",
            "location": {
                "fieldPathElements": [{"fieldName": "conversions", "index": 1}, {"fieldName": "gclid"}]
            },
        }
    ]


def test_validate_only_answers_errors_only_and_nothing_when_all_is_well() -> None:
    assert upload_response([{"gclid": "a"}], [], "v25", validate_only=True) == {}
    error = AdsError("fieldError", "REQUIRED", "Required.", (("conversions", 0),))
    assert set(upload_response([{}], [error], "v25", validate_only=True)) == {"partialFailureError"}
