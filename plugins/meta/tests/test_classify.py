"""classify(): Meta's answers (platforms.md §1.13) → one Outcome per event, in request order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from signalmesh.connector import HttpRequest, HttpResponse, OutcomeKind, TransportFailure

from signalmesh_meta.connector import MetaConnector

DELIVERED, RETRY, REJECTED = OutcomeKind.DELIVERED, OutcomeKind.RETRY, OutcomeKind.REJECTED


def request_for(*event_ids: str) -> HttpRequest:
    return HttpRequest("POST", "https://graph.facebook.com/v25.0/1/events", {}, b"{}", tuple(event_ids))


def graph_error(status: int, headers: dict[str, str] | None = None, **error: Any) -> HttpResponse:
    return HttpResponse(status, headers or {}, json.dumps({"error": error}).encode())


def test_2xx_with_events_received_delivers_every_event(connector: MetaConnector) -> None:
    body = json.dumps({"events_received": 3, "messages": [], "fbtrace_id": "AbC"}).encode()
    outcomes = connector.classify(request_for("a", "b", "c"), HttpResponse(200, {}, body))
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [
        ("a", DELIVERED),
        ("b", DELIVERED),
        ("c", DELIVERED),
    ]
    assert "AbC" in outcomes[0].message


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b'{"ok": true}', b"[1, 2]"])
def test_2xx_with_an_unreadable_body_is_retried(connector: MetaConnector, body: bytes) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(200, {}, body))
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert "unreadable" in outcomes[0].message


def test_invalid_parameter_with_a_blamed_index_rejects_that_event_and_retries_the_rest(
    connector: MetaConnector,
) -> None:
    response = graph_error(
        400,
        message="Invalid parameter",
        type="OAuthException",
        code=100,
        error_subcode=2804003,
        error_user_title="Event Timestamp Too Old",
        error_user_msg="The timestamp for this event is too far in the past.",
        is_transient=False,
        error_data={"blame_field_specs": [["data", 1, "event_time"]]},
    )
    outcomes = connector.classify(request_for("a", "b", "c"), response)
    assert [outcome.kind for outcome in outcomes] == [RETRY, REJECTED, RETRY]
    rejected = outcomes[1]
    assert rejected.message == "The timestamp for this event is too far in the past."
    assert rejected.code == "100/2804003"
    assert rejected.field == "event_time"
    assert not any(outcome.whole_request for outcome in outcomes)
    assert "b" in outcomes[0].message


@pytest.mark.parametrize(
    "error_data",
    [
        {"blame_field_specs": [["data[2].user_data.em"]]},
        {"blame_field_specs": ["data[2].user_data.em"]},
        json.dumps({"blame_field_specs": [["data", "2", "user_data", "em"]]}),
    ],
)
def test_blame_field_specs_in_each_shape_meta_sends_name_the_event(
    connector: MetaConnector, error_data: Any
) -> None:
    response = graph_error(400, message="Invalid parameter", code=100, error_data=error_data)
    outcomes = connector.classify(request_for("a", "b", "c"), response)
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY, REJECTED]
    assert outcomes[2].field == "user_data.em"
    assert outcomes[2].message == "Invalid parameter"
    assert outcomes[2].code == "100"


def test_invalid_parameter_without_a_blamed_event_resends_a_batch_one_by_one(
    connector: MetaConnector,
) -> None:
    response = graph_error(
        400, message="Invalid parameter", code=100, error_data={"blame_field_specs": [["data"]]}
    )
    outcomes = connector.classify(request_for("a", "b"), response)
    assert [(outcome.kind, outcome.whole_request) for outcome in outcomes] == [(RETRY, True), (RETRY, True)]
    assert outcomes[0].field == "data"


def test_blamed_index_outside_the_request_counts_as_no_index(connector: MetaConnector) -> None:
    response = graph_error(
        400, message="Invalid parameter", code=100, error_data={"blame_field_specs": [["data", 7]]}
    )
    outcomes = connector.classify(request_for("a", "b"), response)
    assert all(outcome.kind is RETRY and outcome.whole_request for outcome in outcomes)


def test_invalid_parameter_for_a_single_event_rejects_it(connector: MetaConnector) -> None:
    response = graph_error(400, message="Invalid parameter", code=100, error_subcode=2804019)
    [outcome] = connector.classify(request_for("a"), response)
    assert (outcome.kind, outcome.code, outcome.whole_request) == (REJECTED, "100/2804019", False)


def test_expired_token_pauses_every_event_with_metas_message(connector: MetaConnector) -> None:
    response = graph_error(
        400,
        message="Error validating access token: Session has expired",
        type="OAuthException",
        code=190,
        error_subcode=463,
    )
    outcomes = connector.classify(request_for("a", "b"), response)
    assert [(outcome.kind, outcome.credentials) for outcome in outcomes] == [(RETRY, True), (RETRY, True)]
    assert outcomes[0].message == "Error validating access token: Session has expired"
    assert outcomes[0].code == "190/463"
    assert not outcomes[0].whole_request


def test_http_429_is_retried_after_the_retry_after_header(connector: MetaConnector) -> None:
    outcomes = connector.classify(
        request_for("a", "b"), HttpResponse(429, {"Retry-After": "30"}, b"slow down")
    )
    assert [(outcome.kind, outcome.retry_after) for outcome in outcomes] == [(RETRY, 30.0), (RETRY, 30.0)]


@pytest.mark.parametrize("code", [1, 2, 4, 17, 341, 613])
def test_temporary_and_throttling_graph_codes_are_retried(connector: MetaConnector, code: int) -> None:
    response = graph_error(400, {"retry-after": "5"}, message="Application request limit reached", code=code)
    [outcome] = connector.classify(request_for("a"), response)
    assert (outcome.kind, outcome.retry_after, outcome.code) == (RETRY, 5.0, str(code))


def test_transient_flag_makes_any_error_retried(connector: MetaConnector) -> None:
    response = graph_error(400, message="An unexpected error has occurred", code=100, is_transient=True)
    [outcome] = connector.classify(request_for("a"), response)
    assert outcome.kind is RETRY


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(connector: MetaConnector, status: int) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(status, {}, b"Service Unavailable"))
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert str(status) in outcomes[0].message


@pytest.mark.parametrize("failure", [TransportFailure.TIMEOUT, TransportFailure.CONNECTION])
def test_no_answer_is_retried(connector: MetaConnector, failure: TransportFailure) -> None:
    outcomes = connector.classify(request_for("a", "b"), failure)
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert failure.value in outcomes[0].message


def test_malformed_4xx_body_is_rejected_with_the_raw_text_truncated(connector: MetaConnector) -> None:
    body = b"<html>Bad Request " + b"x" * 2000 + b"</html>"
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(400, {}, body))
    assert [outcome.kind for outcome in outcomes] == [REJECTED, REJECTED]
    assert "Bad Request" in outcomes[0].message
    assert len(outcomes[0].message) < 600


def test_permission_error_pauses_every_event_as_a_credentials_problem(connector: MetaConnector) -> None:
    response = graph_error(403, message="(#200) Permissions error", code=200)
    outcomes = connector.classify(request_for("a", "b"), response)
    assert [(outcome.kind, outcome.credentials, outcome.whole_request) for outcome in outcomes] == [
        (RETRY, True, False),
        (RETRY, True, False),
    ]
