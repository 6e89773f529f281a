"""classify(): Google Ads' answers (platforms.md §2B) → one Outcome per event, in request order.

With ``partialFailure`` on, a 200 carries per-row errors in ``partialFailureError``, each placed
by ``location.fieldPathElements[{fieldName: "conversions", index}]``, and empty ``results``
entries for the failed rows; request-level failures are HTTP errors with a ``google.rpc.Status``.
The bodies below follow that shape as google-ads-python's ``handle_partial_failure.py`` reads it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from signalmesh.connector import HttpRequest, HttpResponse, OutcomeKind, TransportFailure

from signalmesh_google_ads.connector import GoogleAdsConnector
from signalmesh_google_ads.responses import TOO_RECENT_RETRY_SECONDS, VALIDATED_MESSAGE

DELIVERED, RETRY, REJECTED = OutcomeKind.DELIVERED, OutcomeKind.RETRY, OutcomeKind.REJECTED
URL = "https://googleads.googleapis.com/v25/customers/1234567890:uploadClickConversions"
FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure"
RESULT = {
    "gclid": "Cj0KCQiA1234567890abcdef",
    "conversionAction": "customers/1234567890/conversionActions/987654321",
    "conversionDateTime": "2026-11-20 12:00:00+00:00",
}


def request_for(*event_ids: str, validate_only: bool = False) -> HttpRequest:
    tail = b',"partialFailure":true,"validateOnly":' + (b"true}" if validate_only else b"false}")
    return HttpRequest("POST", URL, {}, b'{"conversions":[]' + tail, tuple(event_ids))


def ads_error(category: str, code: str, message: str, row: int | None = None, *path: str) -> dict[str, Any]:
    error: dict[str, Any] = {"errorCode": {category: code}, "message": message}
    if row is not None:
        elements = [{"fieldName": "conversions", "index": row}, *({"fieldName": name} for name in path)]
        error["location"] = {"fieldPathElements": elements}
    return error


def failure(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"@type": FAILURE_TYPE, "errors": list(errors), "requestId": "Ab12Cd34"}


def uploaded(results: list[dict[str, Any]], *errors: dict[str, Any]) -> HttpResponse:
    """A 200 answer to a live upload: one results entry per row, failed rows empty."""
    body: dict[str, Any] = {"results": results}
    if errors:
        message = "; ".join(error["message"] for error in errors)
        body["partialFailureError"] = {"code": 3, "message": message, "details": [failure(*errors)]}
    return HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())


def rpc_error(
    status: int, name: str, message: str, *errors: dict[str, Any], headers: dict[str, str] | None = None
) -> HttpResponse:
    error: dict[str, Any] = {"code": status, "message": message, "status": name}
    if errors:
        error["details"] = [failure(*errors)]
    return HttpResponse(status, headers or {}, json.dumps({"error": error}).encode())


def kinds(outcomes: list[Any]) -> list[tuple[str, OutcomeKind]]:
    return [(outcome.event_id, outcome.kind) for outcome in outcomes]


def test_every_row_with_a_result_is_delivered(connector: GoogleAdsConnector) -> None:
    outcomes = connector.classify(request_for("a", "b"), uploaded([RESULT, RESULT]))
    assert kinds(outcomes) == [("a", DELIVERED), ("b", DELIVERED)]
    assert outcomes[0].message == "uploaded to Google Ads"


def test_partial_failure_rejects_the_row_its_index_names_and_delivers_the_rest(
    connector: GoogleAdsConnector,
) -> None:
    unparseable = ads_error(
        "conversionUploadError", "UNPARSEABLE_GCLID", "The imported gclid could not be decoded.", 1, "gclid"
    )
    outcomes = connector.classify(request_for("a", "b", "c"), uploaded([RESULT, {}, RESULT], unparseable))
    assert kinds(outcomes) == [("a", DELIVERED), ("b", REJECTED), ("c", DELIVERED)]
    assert (outcomes[1].code, outcomes[1].field) == ("conversionUploadError.UNPARSEABLE_GCLID", "gclid")
    assert outcomes[1].message == "The imported gclid could not be decoded."


def test_index_is_read_when_google_sends_it_as_a_string(connector: GoogleAdsConnector) -> None:
    """Proto3 JSON may print int64 fields as strings; the index still places the error."""
    error = ads_error("conversionUploadError", "EVENT_NOT_FOUND", "Not a Google Ads click.", 0)
    error["location"]["fieldPathElements"][0]["index"] = "0"
    outcomes = connector.classify(request_for("a", "b"), uploaded([{}, RESULT], error))
    assert kinds(outcomes) == [("a", REJECTED), ("b", DELIVERED)]


def test_nested_field_path_becomes_the_outcome_field(connector: GoogleAdsConnector) -> None:
    error = ads_error("conversionUploadError", "INVALID_USER_IDENTIFIER", "Hash it.", 0)
    error["location"]["fieldPathElements"] += [{"fieldName": "user_identifiers", "index": 2}]
    [outcome] = connector.classify(request_for("a"), uploaded([{}], error))
    assert (outcome.kind, outcome.field) == (REJECTED, "user_identifiers[2]")


@pytest.mark.parametrize(
    "code",
    [
        "CLICK_CONVERSION_ALREADY_EXISTS",
        "ORDER_ID_ALREADY_IN_USE",
        "DUPLICATE_ORDER_ID",
        "DUPLICATE_CLICK_CONVERSION_IN_REQUEST",
    ],
)
def test_a_conversion_google_already_holds_counts_as_delivered(
    connector: GoogleAdsConnector, code: str
) -> None:
    """A resend of a delivered event: Google's dedup answered, so the event is where it should be (§2B)."""
    error = ads_error(
        "conversionUploadError", code, "The imported event repeats a conversion.", 0, "order_id"
    )
    [outcome] = connector.classify(request_for("a"), uploaded([{}], error))
    assert (outcome.kind, outcome.code) == (DELIVERED, f"conversionUploadError.{code}")
    assert outcome.message.startswith("already recorded by Google Ads (duplicate)")


def test_click_not_found_is_delivered_as_a_warning(connector: GoogleAdsConnector) -> None:
    """ECL: a lead that did not come from a Google ad is expected, not a failure (§2B)."""
    error = ads_error("conversionUploadError", "CLICK_NOT_FOUND", "No click matched.", 0)
    [outcome] = connector.classify(request_for("a"), uploaded([{}], error))
    assert (outcome.kind, outcome.message) == (DELIVERED, "warning: No click matched.")


@pytest.mark.parametrize("code", ["TOO_RECENT_EVENT", "TOO_RECENT_CONVERSION_ACTION"])
def test_too_recent_is_retried_after_six_hours(connector: GoogleAdsConnector, code: str) -> None:
    error = ads_error("conversionUploadError", code, "Too recent.", 1)
    outcomes = connector.classify(request_for("a", "b"), uploaded([RESULT, {}], error))
    assert kinds(outcomes) == [("a", DELIVERED), ("b", RETRY)]
    assert outcomes[1].retry_after == TOO_RECENT_RETRY_SECONDS == 6 * 3600


def test_the_worst_of_several_errors_on_a_row_decides_and_the_others_are_named(
    connector: GoogleAdsConnector,
) -> None:
    too_recent = ads_error("conversionUploadError", "TOO_RECENT_EVENT", "Too recent.", 0)
    expired = ads_error("conversionUploadError", "EXPIRED_EVENT", "Outside the window.", 0)
    [outcome] = connector.classify(request_for("a"), uploaded([{}], too_recent, expired))
    assert (outcome.kind, outcome.code) == (REJECTED, "conversionUploadError.EXPIRED_EVENT")
    assert outcome.message == "Outside the window. (also: conversionUploadError.TOO_RECENT_EVENT)"


def test_row_error_without_an_index_lands_on_the_rows_with_empty_results(
    connector: GoogleAdsConnector,
) -> None:
    error = ads_error("conversionUploadError", "EVENT_NOT_FOUND", "Not a Google Ads click.")
    outcomes = connector.classify(request_for("a", "b", "c"), uploaded([RESULT, {}, RESULT], error))
    assert kinds(outcomes) == [("a", DELIVERED), ("b", REJECTED), ("c", DELIVERED)]


def test_partial_failure_naming_no_row_and_no_results_resends_one_by_one(
    connector: GoogleAdsConnector,
) -> None:
    body = {"partialFailureError": {"code": 3, "message": "Something failed."}}
    answer = HttpResponse(200, {}, json.dumps(body).encode())
    outcomes = connector.classify(request_for("a", "b", validate_only=True), answer)
    assert [(outcome.kind, outcome.whole_request) for outcome in outcomes] == [(RETRY, True)] * 2
    assert outcomes[0].message == "Something failed."


def test_validate_only_success_says_nothing_was_recorded(connector: GoogleAdsConnector) -> None:
    """validate_only answers errors only, no results (§2B): an empty body is a clean dry run."""
    outcomes = connector.classify(request_for("a", "b", validate_only=True), HttpResponse(200, {}, b"{}"))
    assert [(outcome.kind, outcome.message) for outcome in outcomes] == [(DELIVERED, VALIDATED_MESSAGE)] * 2


def test_validate_only_reports_the_rows_it_would_refuse(connector: GoogleAdsConnector) -> None:
    error = ads_error("dateError", "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET", "Bad format.", 1)
    body = {"partialFailureError": {"code": 3, "message": "Bad format.", "details": [failure(error)]}}
    answer = HttpResponse(200, {}, json.dumps(body).encode())
    outcomes = connector.classify(request_for("a", "b", validate_only=True), answer)
    assert kinds(outcomes) == [("a", DELIVERED), ("b", REJECTED)]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        # Google Ads: an expired or invalid OAuth token (S2 AuthenticationErrorEnum).
        (
            rpc_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
                ads_error("authenticationError", "OAUTH_TOKEN_EXPIRED", "Your OAuth token has expired."),
            ),
            "authenticationError.OAUTH_TOKEN_EXPIRED",
        ),
        # No GoogleAdsFailure at all: Google's front end refused the bearer token.
        (
            rpc_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential."),
            "UNAUTHENTICATED",
        ),
        (HttpResponse(401, {}, b"Unauthorized"), "401"),
        (HttpResponse(403, {}, b""), "403"),
        # The same authenticationError when Google answers 400.
        (
            rpc_error(
                400,
                "INVALID_ARGUMENT",
                "Request contains an invalid argument.",
                ads_error("authenticationError", "OAUTH_TOKEN_REVOKED", "The OAuth token has been revoked."),
            ),
            "authenticationError.OAUTH_TOKEN_REVOKED",
        ),
        # Google's OAuth 2 endpoint: the refresh token expired or was revoked.
        (
            HttpResponse(
                400,
                {},
                b'{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}',
            ),
            "invalid_grant",
        ),
        (
            rpc_error(
                400,
                "INVALID_ARGUMENT",
                "Request contains an invalid argument.",
                ads_error(
                    "requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING", "The developer-token is required."
                ),
            ),
            "requestError.DEVELOPER_TOKEN_PARAMETER_MISSING",
        ),
        (
            rpc_error(
                403,
                "PERMISSION_DENIED",
                "The caller does not have permission",
                ads_error("authorizationError", "USER_PERMISSION_DENIED", "User doesn't have permission."),
            ),
            "authorizationError.USER_PERMISSION_DENIED",
        ),
    ],
)
def test_refused_credentials_keep_every_event_and_pause_the_destination(
    connector: GoogleAdsConnector, answer: HttpResponse, code: str
) -> None:
    """The dispatcher pauses a destination on credentials=True; the events wait in the outbox."""
    outcomes = connector.classify(request_for("a", "b"), answer)
    assert [(outcome.kind, outcome.credentials, outcome.code) for outcome in outcomes] == [
        (RETRY, True, code)
    ] * 2
    assert outcomes[0].message.startswith("Google Ads refused the credentials")
    assert "access_token" in outcomes[0].message


@pytest.mark.parametrize(
    ("status", "name"),
    [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (503, "UNAVAILABLE"), (504, "DEADLINE_EXCEEDED")],
)
def test_throttling_and_server_errors_are_retried_honouring_retry_after(
    connector: GoogleAdsConnector, status: int, name: str
) -> None:
    answer = rpc_error(status, name, "Try again later.", headers={"Retry-After": "30"})
    outcomes = connector.classify(request_for("a", "b"), answer)
    assert [(outcome.kind, outcome.retry_after, outcome.code) for outcome in outcomes] == [
        (RETRY, 30.0, name)
    ] * 2
    assert not outcomes[0].credentials


def test_quota_retry_delay_in_the_error_details_is_honoured(connector: GoogleAdsConnector) -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "42s"}],
        }
    }
    [outcome] = connector.classify(request_for("a"), HttpResponse(429, {}, json.dumps(body).encode()))
    assert (outcome.kind, outcome.retry_after) == (RETRY, 42.0)


def test_request_level_refusal_rejects_every_event_with_googles_error(connector: GoogleAdsConnector) -> None:
    too_many = ads_error(
        "conversionUploadError", "TOO_MANY_CONVERSIONS_IN_REQUEST", "Upload fewer than 2001 events."
    )
    answer = rpc_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", too_many)
    outcomes = connector.classify(request_for("a", "b"), answer)
    assert [(outcome.kind, outcome.credentials) for outcome in outcomes] == [(REJECTED, False)] * 2
    assert outcomes[0].code == "conversionUploadError.TOO_MANY_CONVERSIONS_IN_REQUEST"
    assert outcomes[0].message == "Upload fewer than 2001 events."


def test_request_level_refusal_naming_a_row_rejects_it_and_resends_the_rest(
    connector: GoogleAdsConnector,
) -> None:
    error = ads_error("fieldError", "REQUIRED", "The required field was not present.", 1, "conversion_action")
    answer = rpc_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", error)
    outcomes = connector.classify(request_for("a", "b", "c"), answer)
    assert kinds(outcomes) == [("a", RETRY), ("b", REJECTED), ("c", RETRY)]
    assert outcomes[1].field == "conversion_action" and "b" in outcomes[0].message


def test_4xx_without_a_google_body_is_rejected_with_the_raw_text_truncated(
    connector: GoogleAdsConnector,
) -> None:
    body = b"<html>Not Found " + b"x" * 2000 + b"</html>"
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(404, {}, body))
    assert [outcome.kind for outcome in outcomes] == [REJECTED, REJECTED]
    assert outcomes[0].message.startswith("HTTP 404: <html>Not Found") and len(outcomes[0].message) < 600


@pytest.mark.parametrize("failure_kind", [TransportFailure.TIMEOUT, TransportFailure.CONNECTION])
def test_no_answer_is_retried(connector: GoogleAdsConnector, failure_kind: TransportFailure) -> None:
    outcomes = connector.classify(request_for("a", "b"), failure_kind)
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert failure_kind.value in outcomes[0].message


@pytest.mark.parametrize(
    "body", [b"<html>oops</html>", b"", b"{}", b'{"results": [{}]}', b"[0]", b'{"results": "none"}']
)
def test_live_2xx_without_a_result_per_conversion_is_retried(
    connector: GoogleAdsConnector, body: bytes
) -> None:
    """Nothing says Google took the rows; a resend is deduplicated by order id or click + time (§2B)."""
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(200, {}, body))
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert "without a result per conversion" in outcomes[0].message
