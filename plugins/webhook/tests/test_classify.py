"""classify(): the receiver's status code decides, for every event of the request alike."""

from __future__ import annotations

import pytest
from signalmesh.connector import HttpRequest, HttpResponse, OutcomeKind, TransportFailure

from signalmesh_webhook.connector import WebhookConnector

DELIVERED, RETRY, REJECTED = OutcomeKind.DELIVERED, OutcomeKind.RETRY, OutcomeKind.REJECTED


def request_for(*event_ids: str) -> HttpRequest:
    return HttpRequest("POST", "https://crm.example.com/hooks/conversions", {}, b"{}", tuple(event_ids))


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, b'{"received": 2}', DELIVERED),
        (201, b"", DELIVERED),
        (202, b"<html>queued</html>", DELIVERED),
        (204, b"", DELIVERED),
        (408, b"Request Timeout", RETRY),
        (429, b"slow down", RETRY),
        (500, b"Internal Server Error", RETRY),
        (502, b"", RETRY),
        (503, b"Service Unavailable", RETRY),
        (400, b'{"error": "events[0].value: expected a decimal string"}', REJECTED),
        (401, b"bad signature", RETRY),
        (403, b"forbidden", RETRY),
        (404, b"no such hook", REJECTED),
        (413, b"payload too large", REJECTED),
        (422, b"schema mismatch", REJECTED),
        (301, b"moved", REJECTED),
    ],
)
def test_status_code_decides_the_outcome_of_every_event(
    connector: WebhookConnector, status: int, body: bytes, kind: OutcomeKind
) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(status, {}, body))
    assert [(outcome.event_id, outcome.kind) for outcome in outcomes] == [("a", kind), ("b", kind)]
    assert all(outcome.code == str(status) for outcome in outcomes)


def test_rejection_carries_the_receivers_body_text_truncated_to_300_chars(
    connector: WebhookConnector,
) -> None:
    body = ("schema mismatch: " + "x" * 1000).encode()
    [outcome] = connector.classify(request_for("a"), HttpResponse(422, {}, body))
    assert outcome.kind is REJECTED
    assert outcome.message == body.decode()[:300]


def test_rejection_with_an_empty_body_still_says_what_happened(connector: WebhookConnector) -> None:
    [outcome] = connector.classify(request_for("a"), HttpResponse(404, {}, b""))
    assert outcome.message == "HTTP 404 with an empty body"


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_signature_pauses_the_destination_instead_of_rejecting_events(
    connector: WebhookConnector, status: int
) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(status, {}, b"bad signature"))
    assert all(outcome.kind is RETRY and outcome.credentials for outcome in outcomes)
    [rejected] = connector.classify(request_for("a"), HttpResponse(422, {}, b"schema"))
    assert not rejected.credentials


def test_undecodable_body_is_reported_without_failing(connector: WebhookConnector) -> None:
    [outcome] = connector.classify(request_for("a"), HttpResponse(400, {}, b"\xff\xfe bad"))
    assert outcome.kind is REJECTED and "bad" in outcome.message


@pytest.mark.parametrize(("status", "retry_after"), [(429, "7"), (503, "120"), (408, "1")])
def test_retry_after_is_honoured(connector: WebhookConnector, status: int, retry_after: str) -> None:
    outcomes = connector.classify(
        request_for("a", "b"), HttpResponse(status, {"retry-after": retry_after}, b"")
    )
    assert [(outcome.kind, outcome.retry_after) for outcome in outcomes] == [(RETRY, float(retry_after))] * 2


def test_retry_without_retry_after_leaves_the_delay_to_the_core(connector: WebhookConnector) -> None:
    [outcome] = connector.classify(request_for("a"), HttpResponse(500, {}, b""))
    assert (outcome.kind, outcome.retry_after) == (RETRY, None)


@pytest.mark.parametrize("failure", list(TransportFailure))
def test_no_answer_is_retried(connector: WebhookConnector, failure: TransportFailure) -> None:
    outcomes = connector.classify(request_for("a", "b"), failure)
    assert [outcome.kind for outcome in outcomes] == [RETRY, RETRY]
    assert failure.value in outcomes[0].message


def test_a_delivery_is_never_a_whole_request_resend(connector: WebhookConnector) -> None:
    outcomes = connector.classify(request_for("a", "b"), HttpResponse(400, {}, b"bad"))
    assert not any(outcome.whole_request for outcome in outcomes)
