"""What the store keeps of an exchange: per event, bounded, never a credential."""

from __future__ import annotations

import json

import pytest
from signalmesh.connector import (
    ConfigField,
    Destination,
    HttpRequest,
    HttpResponse,
    TransportFailure,
    canonical_json,
)
from signalmesh.gateway.kept_payloads import MAX_KEPT_BYTES, bounded, kept_payloads
from signalmesh.gateway.masking import MASK, masked, secret_values
from signalmesh.monitoring.payload_parts import split_by_event

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


def as_parts_were_always_kept(sent: HttpRequest) -> dict[str, str]:
    """Each event's part as the reference reading gives it: the body decoded by ``json``, split,
    each part encoded by ``canonical_json``, masked and bounded; the whole body for each when a
    part is no canonical JSON."""
    secrets = secret_values(DESTINATION, SCHEMA)
    body = masked(sent.body.decode(), secrets)
    split = split_by_event(json.loads(body), sent.event_ids)
    assert split is not None
    try:
        return {
            event_id: bounded(masked(canonical_json(part).decode(), secrets))
            for event_id, part in split.items()
        }
    except ValueError:
        return dict.fromkeys(sent.event_ids, bounded(body))


def raw_request(body: bytes, *event_ids: str) -> HttpRequest:
    return HttpRequest("POST", "https://graph.test/v25.0/1234567890/events", {}, body, event_ids)


@pytest.mark.parametrize(
    "body",
    [
        # Spliced from canonical elements, as the bundled connectors build a batch.
        b'{"data":[{"event_id":"e1","n":1},{"event_id":"e2","v":[0.5,"\xc3\xa9\\n"]}],"test_event_code":"T"}',
        # Integers beyond 64 bits (orjson reads them as floats; canonical_json writes them with json).
        b'{"data":[{"event_id":"e1","n":18446744073709551616},{"event_id":"e2","n":-9223372036854775809}]}',
        b'{"data":[{"event_id":"e1","n":18446744073709551615},{"event_id":"e2","n":-9223372036854775808}]}',
        # A null: canonical_json writes that part with json, which spells small floats otherwise.
        b'{"data":[{"event_id":"e1","f":0.00001,"x":null},{"event_id":"e2","f":0.00001}]}',
        b'{"data":[{"event_id":"e1","f":0.00001},{"event_id":"e2","f":1e+16}],"x":null}',
        b'{"data":[{"event_id":"e1","s":"annulled"},{"event_id":"e2"}]}',
        # Not canonical as sent (spaces, unsorted keys, escapes, a float spelt long): re-encoded.
        b'{ "data": [ {"n": 1, "event_id": "e1"}, {"event_id": "e2", "f": 1.50} ] }',
        b'{"data":[{"event_id":"e1","f":1E2},{"event_id":"e2","s":"\\u00e9\\/"}]}',
        b'{"data":[{"event_id":"e1","a":1,"a":2},{"event_id":"e2"}]}',
        # What orjson refuses to read and json reads.
        b'{"data":[{"event_id":"e1","s":"\\ud800"},{"event_id":"e2"}]}',
        # Elements that name no event: by position.
        b'{"conversions":[{"orderId":"A"},{"orderId":"B"}],"partialFailure":true}',
        # The envelope holding the placeholder's spelling as a value.
        b'{"a":"\\"\\u0000signalmesh: the events array\\u0000","data":[{"event_id":"e1"},{"event_id":"e2"}]}',
    ],
)
def test_each_part_is_what_json_and_canonical_json_make_of_the_body(body: bytes) -> None:
    sent = raw_request(body, "e1", "e2")
    kept = kept_payloads(sent, answer({}), DESTINATION, SCHEMA)
    kept_bodies = {event_id: payload.request_body for event_id, payload in kept.items()}
    assert kept_bodies == as_parts_were_always_kept(sent)


def test_a_canonical_batch_keeps_each_element_byte_for_byte_in_the_envelope() -> None:
    element = b'{"event_id":"e%d","user_data":{"em":["%064x"]},"value":%d.5}'
    elements = [element % (n, n, n) for n in range(50)]
    body = b'{"data":[' + b",".join(elements) + b'],"test_event_code":"T"}'
    sent = raw_request(body, *(f"e{n}" for n in range(50)))
    kept = kept_payloads(sent, answer({}), DESTINATION, SCHEMA)
    assert kept["e7"].request_body == '{"data":[' + elements[7].decode() + '],"test_event_code":"T"}'
    assert (kept["e7"].request_events, kept["e7"].request_index) == (50, 7)


def test_nan_anywhere_in_a_batch_keeps_the_whole_body_for_each() -> None:
    sent = raw_request(b'{"data":[{"event_id":"e1","v":NaN},{"event_id":"e2"}]}', "e1", "e2")
    kept = kept_payloads(sent, answer({}), DESTINATION, SCHEMA)
    assert kept["e1"].request_body == kept["e2"].request_body == sent.body.decode()


def test_a_secret_spelt_with_escapes_in_the_body_is_masked_once_re_encoded() -> None:
    # The body names the token with a JSON escape; the part, re-encoded, spells it out.
    body = b'{"data":[{"event_id":"e1","t":"EAAB-secret-tok\\u0065n"},{"event_id":"e2"}]}'
    sent = raw_request(body, "e1", "e2")
    kept = kept_payloads(sent, answer({}), DESTINATION, SCHEMA)
    assert "EAAB-secret-token" not in kept["e1"].request_body
    assert json.loads(kept["e1"].request_body)["data"] == [{"event_id": "e1", "t": MASK}]
