"""classify(): LinkedIn's answers (platforms.md §4.2, §4.6) → one Outcome per event, in request order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from signalmesh.connector import HttpRequest, HttpResponse, OutcomeKind, TransportFailure

from signalmesh_linkedin.connector import LinkedInConnector

DELIVERED, RETRY, REJECTED = OutcomeKind.DELIVERED, OutcomeKind.RETRY, OutcomeKind.REJECTED


def request_for(*event_ids: str) -> HttpRequest:
    return HttpRequest("POST", "https://api.linkedin.com/rest/conversionEvents", {}, b"{}", tuple(event_ids))


def answer(status: int, document: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, headers or {}, json.dumps(document).encode())


def kinds(outcomes: list[Any]) -> list[OutcomeKind]:
    return [outcome.kind for outcome in outcomes]


def test_every_element_201_delivers_every_event(connector: LinkedInConnector) -> None:
    outcomes = connector.classify(request_for("a", "b"), answer(200, {"elements": [{"status": 201}] * 2}))
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [("a", DELIVERED), ("b", DELIVERED)]


def test_each_element_is_classified_on_its_own_status(connector: LinkedInConnector) -> None:
    elements = [
        {"status": 201},
        {
            "status": 422,
            "error": {
                "status": 422,
                "message": "ERROR :: /user/userIds/0/idValue :: must be a SHA-256 hex digest\n",
            },
        },
        {"status": 400, "message": "Invalid conversion rule", "code": "INVALID_ARGUMENT"},
        {"status": 500, "message": "Internal Server Error"},
        {"status": 429, "message": "throttled"},
    ]
    outcomes = connector.classify(request_for("a", "b", "c", "d", "e"), answer(200, {"elements": elements}))
    assert kinds(outcomes) == [DELIVERED, REJECTED, REJECTED, RETRY, RETRY]
    rejected = outcomes[1]
    assert rejected.message.startswith("ERROR :: /user/userIds/0/idValue")
    # 422 names the field path (§4.6): the outcome carries it, dotted.
    assert (rejected.field, rejected.code) == ("user.userIds[0].idValue", "422")
    assert (outcomes[2].message, outcomes[2].code) == ("Invalid conversion rule", "INVALID_ARGUMENT")
    assert not any(outcome.whole_request for outcome in outcomes)


def test_element_without_a_status_is_retried(connector: LinkedInConnector) -> None:
    outcomes = connector.classify(request_for("a", "b"), answer(200, {"elements": [{"status": 201}, {}]}))
    assert kinds(outcomes) == [DELIVERED, RETRY]


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>ok</html>", b'{"elements": [{"status": 201}]}', b'{"ok": true}', b"[1]"],
    ids=["empty", "html", "fewer elements than events", "no elements", "not an object"],
)
def test_2xx_whose_body_cannot_be_matched_to_the_events_is_retried(
    connector: LinkedInConnector, body: bytes
) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(200, {}, body))
    assert kinds(outcomes) == [RETRY, RETRY]
    assert "unreadable" in outcomes[0].message


def test_whole_request_422_for_several_events_is_resent_one_by_one(connector: LinkedInConnector) -> None:
    """[Unconfirmed] whole-batch rejection (§4.2): the error does not say which event, so isolate."""
    error = {
        "status": 422,
        "serviceErrorCode": 100,
        "code": "UNPROCESSABLE_ENTITY",
        "message": "Invalid batch",
    }
    outcomes = connector.classify(request_for("a", "b", "c"), answer(422, error))
    assert [(outcome.kind, outcome.whole_request) for outcome in outcomes] == [(RETRY, True)] * 3
    assert (outcomes[0].message, outcomes[0].code) == ("Invalid batch", "UNPROCESSABLE_ENTITY/100")


def test_whole_request_error_for_one_event_rejects_it_with_the_field(connector: LinkedInConnector) -> None:
    error = {"status": 422, "message": "ERROR :: /conversionHappenedAt :: is more than 90 days ago\n"}
    [outcome] = connector.classify(request_for("a"), answer(422, error))
    assert (outcome.kind, outcome.whole_request) == (REJECTED, False)
    assert outcome.field == "conversionHappenedAt"
    assert "90 days" in outcome.message


@pytest.mark.parametrize(
    "error",
    [
        {"status": 400, "message": "ERROR :: /elements/1/conversionValue/amount :: must be a string\n"},
        {
            "status": 422,
            "message": "Validation failed",
            "errorDetails": {
                "inputErrors": [{"input": {"inputPath": {"fieldPath": "elements[1].conversionValue.amount"}}}]
            },
        },
    ],
    ids=["rest.li message path", "errorDetails fieldPath"],
)
def test_whole_request_error_naming_an_element_rejects_only_that_event(
    connector: LinkedInConnector, error: dict[str, Any]
) -> None:
    outcomes = connector.classify(request_for("a", "b", "c"), answer(error["status"], error))
    assert kinds(outcomes) == [RETRY, REJECTED, RETRY]
    assert outcomes[1].field == "conversionValue.amount"
    assert not any(outcome.whole_request for outcome in outcomes)
    assert "b" in outcomes[0].message


@pytest.mark.parametrize(
    ("status", "error", "hint"),
    [
        (
            401,
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
            "access_token",
        ),
        (
            403,
            {
                "status": 403,
                "serviceErrorCode": 100,
                "code": "ACCESS_DENIED",
                "message": "Not enough permissions",
            },
            "rw_conversions",
        ),
        (
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": "Requested version 20241101 is not active",
            },
            "api_version",
        ),
    ],
)
def test_token_permission_and_sunset_version_errors_pause_the_destination(
    connector: LinkedInConnector, status: int, error: dict[str, Any], hint: str
) -> None:
    """Not any event's fault: the events wait (RETRY, credentials) while the core pauses and alerts."""
    outcomes = connector.classify(request_for("a", "b"), answer(status, error))
    assert [(outcome.kind, outcome.credentials, outcome.whole_request) for outcome in outcomes] == [
        (RETRY, True, False)
    ] * 2
    assert outcomes[0].message.startswith(error["message"])
    assert hint in outcomes[0].message


@pytest.mark.parametrize("status", [408, 423, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_after_retry_after(connector: LinkedInConnector, status: int) -> None:
    error = {
        "status": status,
        "message": "Resource level throttle limit for calls to this resource is reached.",
    }
    outcomes = connector.classify(request_for("a", "b"), answer(status, error, {"Retry-After": "30"}))
    assert [(outcome.kind, outcome.retry_after) for outcome in outcomes] == [(RETRY, 30.0)] * 2
    assert outcomes[0].message == error["message"]


def test_5xx_without_a_restli_body_is_retried_with_the_raw_text(connector: LinkedInConnector) -> None:
    outcomes = connector.classify(request_for("a"), HttpResponse(503, {}, b"Service Unavailable"))
    assert kinds(outcomes) == [RETRY]
    assert "503" in outcomes[0].message and "Service Unavailable" in outcomes[0].message


@pytest.mark.parametrize("failure", [TransportFailure.TIMEOUT, TransportFailure.CONNECTION])
def test_no_answer_is_retried(connector: LinkedInConnector, failure: TransportFailure) -> None:
    outcomes = connector.classify(request_for("a", "b"), failure)
    assert kinds(outcomes) == [RETRY, RETRY]
    assert failure.value in outcomes[0].message


def test_4xx_that_is_not_a_restli_error_is_rejected_with_the_raw_text_truncated(
    connector: LinkedInConnector,
) -> None:
    body = b"<html>Bad Request " + b"x" * 2000 + b"</html>"
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(400, {}, body))
    assert kinds(outcomes) == [REJECTED, REJECTED]
    assert "Bad Request" in outcomes[0].message
    assert len(outcomes[0].message) < 600
