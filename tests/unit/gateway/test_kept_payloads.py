"""What the store keeps of an exchange: per event, bounded, never a credential."""

from __future__ import annotations

import json

from signalmesh.connector import ConfigField, Destination, HttpRequest, HttpResponse, TransportFailure
from signalmesh.gateway.kept_payloads import MAX_KEPT_BYTES, bounded, kept_payloads
from signalmesh.gateway.masking import MASK

SCHEMA = (ConfigField("pixel_id", "pixel"), ConfigField("access_token", "token", secret=True))
DESTINATION = Destination("meta", "meta", {"pixel_id": "1234567890", "access_token": "EAAB-secret-token"})


def request(
    body: object, *event_ids: str, url: str = "https://graph.test/v25.0/1234567890/events"
) -> HttpRequest:
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return HttpRequest("POST", url, {"Authorization": "Bearer EAAB-secret-token"}, raw, event_ids)


def answer(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(status, {}, json.dumps(body).encode())


def test_one_event_keeps_the_body_as_sent_and_the_answer_with_its_status():
    sent = request({"data": [{"event_id": "e1", "custom_data": {"value": 1}}]}, "e1")
    kept = kept_payloads(sent, answer({"events_received": 1}), DESTINATION, SCHEMA)
    assert list(kept) == ["e1"]
    assert kept["e1"].request_body == sent.body.decode()
    assert json.loads(kept["e1"].response_body) == {"events_received": 1}
    assert (kept["e1"].response_status, kept["e1"].request_events, kept["e1"].request_index) == (200, 1, 0)


def test_each_event_of_a_batch_keeps_its_own_element_in_the_envelope():
    body = {
        "data": [{"event_id": "e2", "n": 2}, {"event_id": "e1", "n": 1}],
        "test_event_code": "TEST1",
    }
    kept = kept_payloads(request(body, "e2", "e1"), answer({"events_received": 2}), DESTINATION, SCHEMA)
    assert json.loads(kept["e1"].request_body) == {
        "data": [{"event_id": "e1", "n": 1}],
        "test_event_code": "TEST1",
    }
    assert json.loads(kept["e2"].request_body)["data"] == [{"event_id": "e2", "n": 2}]
    assert (kept["e1"].request_events, kept["e1"].request_index) == (2, 1)


def test_elements_that_name_no_event_are_matched_by_position():
    # Google Ads: conversions carry no event id; the connector keeps event_ids order.
    body = {"conversions": [{"orderId": "A"}, {"orderId": "B"}], "partialFailure": True}
    kept = kept_payloads(request(body, "e1", "e2"), answer({}), DESTINATION, SCHEMA)
    assert json.loads(kept["e2"].request_body) == {"conversions": [{"orderId": "B"}], "partialFailure": True}


def test_a_body_that_does_not_show_whose_element_is_whose_is_kept_whole_for_each():
    body = {"rows": [{"a": 1}], "other": [{"b": 2}]}
    sent = request(body, "e1", "e2")
    kept = kept_payloads(sent, answer({}), DESTINATION, SCHEMA)
    assert kept["e1"].request_body == kept["e2"].request_body == sent.body.decode()


def test_secrets_are_masked_in_both_bodies_and_the_url_and_headers_are_never_kept():
    sent = request(
        {"data": [{"event_id": "e1"}], "access_token": "EAAB-secret-token"},
        "e1",
        url="https://graph.test/events?access_token=EAAB-secret-token",
    )
    echoed = answer({"error": {"message": "bad token EAAB-secret-token"}}, 400)
    [kept] = kept_payloads(sent, echoed, DESTINATION, SCHEMA).values()
    text = f"{kept}"
    assert "EAAB-secret-token" not in text and "graph.test" not in text and "Bearer" not in text
    assert MASK in kept.request_body and MASK in kept.response_body


def test_no_answer_keeps_the_body_and_status_0():
    [kept] = kept_payloads(
        request({"data": []}, "e1"), TransportFailure.TIMEOUT, DESTINATION, SCHEMA
    ).values()
    assert (kept.response_status, kept.response_body) == (0, "")


def test_a_long_body_is_cut_to_the_bound_with_a_marker_on_a_character_boundary():
    text = "€" * 10_000  # 3 bytes each: 30,000 bytes
    cut = bounded(text)
    assert len(cut.encode("utf-8")) <= MAX_KEPT_BYTES
    assert cut.endswith(f"…[cut at 16 kB of {len(text.encode())} bytes]")
    assert set(cut.split("…[cut")[0]) == {"€"}
    assert bounded("short") == "short"


def test_a_long_answer_is_bounded_too():
    sent = request({"data": [{"event_id": "e1"}]}, "e1")
    [kept] = kept_payloads(sent, HttpResponse(500, {}, b"x" * 100_000), DESTINATION, SCHEMA).values()
    assert len(kept.response_body.encode()) <= MAX_KEPT_BYTES and "[cut at 16 kB" in kept.response_body
