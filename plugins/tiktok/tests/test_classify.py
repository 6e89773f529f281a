"""classify(): TikTok's answers (platforms.md §3.6) → one Outcome per event, in request order.

TikTok reports errors in the JSON ``code``, usually with HTTP 200, so most rows are 200s.
"""

from __future__ import annotations

import json

import pytest
from signalmesh.connector import HttpRequest, HttpResponse, OutcomeKind, TransportFailure

from signalmesh_tiktok.connector import TikTokConnector

DELIVERED, RETRY, REJECTED = OutcomeKind.DELIVERED, OutcomeKind.RETRY, OutcomeKind.REJECTED
REQUEST_ID = "20261123120000ABCDEF0123456789"


def request_for(*event_ids: str) -> HttpRequest:
    url = "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    return HttpRequest("POST", url, {}, b"{}", tuple(event_ids))


def tiktok(
    code: int, message: str = "", status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    body = {"code": code, "message": message, "request_id": REQUEST_ID, "data": {}}
    return HttpResponse(status, headers or {}, json.dumps(body).encode())


def test_code_0_delivers_every_event_quoting_the_request_id(connector: TikTokConnector) -> None:
    outcomes = connector.classify(request_for("a", "b", "c"), tiktok(0, "OK"))
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [
        ("a", DELIVERED),
        ("b", DELIVERED),
        ("c", DELIVERED),
    ]
    assert outcomes[0].message == f"OK (request_id {REQUEST_ID})"


def test_partial_ok_20001_counts_as_delivered_with_tiktoks_message(connector: TikTokConnector) -> None:
    """TikTok gives no per-event detail for 20001 [Unconfirmed]: every event is delivered, flagged."""
    outcomes = connector.classify(request_for("a", "b"), tiktok(20001, "Partial OK"))
    assert [outcome.kind for outcome in outcomes] == [DELIVERED, DELIVERED]
    assert outcomes[0].code == "20001"
    assert outcomes[0].message.startswith("partial OK: Partial OK") and REQUEST_ID in outcomes[0].message


# (code, kind for a 3-event request, whole_request, retry_after) — every row is an HTTP 200.
CODE_TABLE = [
    (40100, RETRY, False, 1.0),  # request too frequent: back off, 1 s without Retry-After
    (50000, RETRY, False, None),  # system error
    (50002, RETRY, False, None),  # timeout
    (51003, RETRY, False, None),  # 51xxx: system error
    (40102, RETRY, False, None),  # access token expired: the destination pauses, events wait
    (40104, RETRY, False, None),  # empty access token
    (40105, RETRY, False, None),  # invalid access token
    (40001, RETRY, False, None),  # permission error: the token's, not an event's
    (40062, REJECTED, False, None),  # PII not hashed, no event named: every event alike
    (40000, RETRY, True, None),  # invalid params: one bad event fails the batch → one by one
    (40002, RETRY, True, None),  # parameter error
    (40061, RETRY, True, None),  # invalid batch size
    (40999, RETRY, True, None),  # an unknown 4xxxx code is treated as invalid content
]


@pytest.mark.parametrize(("code", "kind", "whole_request", "retry_after"), CODE_TABLE)
def test_http_200_with_a_non_zero_code_is_not_a_success(
    connector: TikTokConnector, code: int, kind: OutcomeKind, whole_request: bool, retry_after: float | None
) -> None:
    outcomes = connector.classify(request_for("a", "b", "c"), tiktok(code, f"message for {code}"))
    assert [(outcome.kind, outcome.whole_request, outcome.retry_after) for outcome in outcomes] == [
        (kind, whole_request, retry_after)
    ] * 3
    assert {outcome.code for outcome in outcomes} == {str(code)}
    assert all(
        f"message for {code}" in outcome.message and REQUEST_ID in outcome.message for outcome in outcomes
    )


@pytest.mark.parametrize("code", [40102, 40104, 40105, 40001])
def test_token_codes_pause_the_destination_and_say_access_token(
    connector: TikTokConnector, code: int
) -> None:
    [outcome] = connector.classify(request_for("a"), tiktok(code, "Access token is invalid"))
    assert outcome.message.startswith("access token")
    assert outcome.kind is RETRY and outcome.credentials, "a dead token must keep events in the outbox"


def test_content_refusals_are_not_credentials(connector: TikTokConnector) -> None:
    [outcome] = connector.classify(request_for("a"), tiktok(40062, "PII not hashed"))
    assert outcome.kind is REJECTED and not outcome.credentials


def test_throttling_code_honours_the_retry_after_header(connector: TikTokConnector) -> None:
    [outcome] = connector.classify(
        request_for("a"), tiktok(40100, "Too frequent", headers={"Retry-After": "7"})
    )
    assert (outcome.kind, outcome.retry_after) == (RETRY, 7.0)


@pytest.mark.parametrize("code", [40000, 40002, 40061])
def test_invalid_content_in_a_single_event_request_rejects_it(connector: TikTokConnector, code: int) -> None:
    [outcome] = connector.classify(request_for("a"), tiktok(code, "Invalid params"))
    assert (outcome.kind, outcome.whole_request, outcome.code) == (REJECTED, False, str(code))


@pytest.mark.parametrize("code", [40002, 40062])
def test_message_naming_one_event_rejects_it_and_retries_the_rest(
    connector: TikTokConnector, code: int
) -> None:
    message = "data[1].user.email: PII not hashed: must be SHA-256"
    outcomes = connector.classify(request_for("a", "b", "c"), tiktok(code, message))
    assert [(outcome.kind, outcome.whole_request) for outcome in outcomes] == [
        (RETRY, False),
        (REJECTED, False),
        (RETRY, False),
    ]
    assert (outcomes[1].field, outcomes[1].code) == ("user.email", str(code))
    assert message in outcomes[1].message
    assert "b" in outcomes[0].message


@pytest.mark.parametrize(
    "message",
    ["data[7].event_time: too old", "data[0].event and data[2].event are missing", "data: must be an array"],
)
def test_message_naming_no_single_event_of_the_request_resends_one_by_one(
    connector: TikTokConnector, message: str
) -> None:
    outcomes = connector.classify(request_for("a", "b", "c"), tiktok(40002, message))
    assert all(outcome.kind is RETRY and outcome.whole_request for outcome in outcomes)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_http_429_and_5xx_are_retried_after_the_retry_after_header(
    connector: TikTokConnector, status: int
) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(status, {"retry-after": "30"}, b"busy"))
    assert [(outcome.kind, outcome.retry_after) for outcome in outcomes] == [(RETRY, 30.0), (RETRY, 30.0)]
    assert str(status) in outcomes[0].message


def test_http_429_with_a_tiktok_body_keeps_its_code_and_a_default_wait(connector: TikTokConnector) -> None:
    [outcome] = connector.classify(request_for("a"), tiktok(40100, "Request too frequent", status=429))
    assert (outcome.kind, outcome.code, outcome.retry_after) == (RETRY, "40100", 1.0)


@pytest.mark.parametrize("failure", [TransportFailure.TIMEOUT, TransportFailure.CONNECTION])
def test_no_answer_is_retried(connector: TikTokConnector, failure: TransportFailure) -> None:
    outcomes = connector.classify(request_for("a", "b"), failure)
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert failure.value in outcomes[0].message


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b'{"ok": true}', b'{"code": "0"}', b"[0]"])
def test_2xx_with_an_unreadable_body_is_retried(connector: TikTokConnector, body: bytes) -> None:
    """Nothing says TikTok took the events; a resend is deduplicated on event_id (§3.5)."""
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(200, {}, body))
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert "unreadable" in outcomes[0].message


def test_4xx_without_a_tiktok_body_is_rejected_with_the_raw_text_truncated(
    connector: TikTokConnector,
) -> None:
    body = b"<html>Forbidden " + b"x" * 2000 + b"</html>"
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(403, {}, body))
    assert [outcome.kind for outcome in outcomes] == [REJECTED, REJECTED]
    assert "Forbidden" in outcomes[0].message and len(outcomes[0].message) < 600


def test_4xx_carrying_code_0_is_rejected_not_delivered(connector: TikTokConnector) -> None:
    outcomes = connector.classify(request_for("a", "b"), tiktok(0, "OK", status=400))
    assert [(outcome.kind, outcome.whole_request) for outcome in outcomes] == [(REJECTED, False)] * 2
    assert "HTTP 400" in outcomes[0].message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Invalid user field", "PII not hashed: Invalid user field"),
        ("user.email: PII not hashed", "user.email: PII not hashed"),
    ],
)
def test_pii_not_hashed_is_said_once(connector: TikTokConnector, message: str, expected: str) -> None:
    [outcome] = connector.classify(request_for("a"), tiktok(40062, message))
    assert outcome.message == f"{expected} (request_id {REQUEST_ID})"
