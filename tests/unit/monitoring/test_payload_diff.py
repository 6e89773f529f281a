"""The structural diff of a payload that worked and one that failed, and of the answers."""

from __future__ import annotations

import json

from signalmesh.monitoring.payload_diff import (
    Difference,
    Kind,
    Side,
    diff_documents,
    diff_payloads,
)

HASH = "a" * 64


def meta_body(event_id: str, **custom: object) -> str:
    element = {
        "event_id": event_id,
        "event_name": "Purchase",
        "event_time": 1_717_000_000,
        "user_data": {"em": [HASH]},
        "custom_data": custom,
    }
    return json.dumps({"data": [element]})


def side(event_id: str, body: str, answer: object, status: int = 200, state: str = "delivered") -> Side:
    return Side(event_id, body, json.dumps(answer), status, state)


def test_a_string_value_against_a_number_is_a_type_difference():
    found = diff_documents({"value": 29.99}, {"value": "29.99"})
    assert found == [Difference("value", Kind.TYPE, "number 29.99", 'string "29.99"')]


def test_a_missing_currency_is_a_field_only_in_one():
    a = json.loads(meta_body("e1", value=29.99, currency="USD"))
    b = json.loads(meta_body("e2", value=10))
    assert diff_documents(a, b) == [
        Difference("data[0].custom_data.currency", Kind.ONLY_IN_A, 'string "USD"', "")
    ]


def test_a_field_only_in_b_and_a_whole_object_only_in_a():
    a = {"data": [{"custom_data": {"value": 1, "currency": "USD"}}]}
    b = {"data": [{"test_event_code": "T1"}]}
    assert diff_documents(a, b) == [
        Difference("data[0].custom_data", Kind.ONLY_IN_A, "object {currency, value}", ""),
        Difference("data[0].test_event_code", Kind.ONLY_IN_B, "", 'string "T1"'),
    ]


def test_different_values_of_the_same_shape_are_not_differences_in_a_request():
    # Two events always differ in ids, hashes and times: that is not what breaks one of them.
    assert diff_documents(json.loads(meta_body("e1", value=5)), json.loads(meta_body("e2", value=7))) == []


def test_a_clear_email_against_a_hash_and_seconds_against_milliseconds_are_format_differences():
    a = {"em": [HASH], "event_time": 1_717_000_000}
    b = {"em": ["jane@example.com"], "event_time": 1_717_000_000_000}
    assert diff_documents(a, b) == [
        Difference("em[0]", Kind.FORMAT, "SHA-256 hash", "clear email"),
        Difference("event_time", Kind.FORMAT, "epoch seconds", "epoch milliseconds"),
    ]


def test_a_cookie_created_in_seconds_against_one_in_milliseconds_is_a_format_difference():
    a = {"fbc": "fb.1.1717000000123.IwAR2xyz"}
    b = {"fbc": "fb.1.1717000000.IwAR2abc"}
    assert diff_documents(a, b) == [
        Difference(
            "fbc",
            Kind.FORMAT,
            "token fb.1.<milliseconds>.<text>",
            "token fb.1.<seconds>.<text>",
        )
    ]


def test_a_longer_array_shows_its_extra_items_on_one_side():
    assert diff_documents({"em": [HASH, HASH]}, {"em": [HASH]}) == [
        Difference("em[1]", Kind.ONLY_IN_A, "string (SHA-256 hash)", "")
    ]


def test_odd_keys_are_quoted_in_paths():
    assert diff_documents({"a.b": 1}, {})[0].path == '["a.b"]'


def test_the_answers_differ_in_status_outcome_and_the_error_fields_leaf_by_leaf():
    ok = side("e1", meta_body("e1", value=1, currency="USD"), {"events_received": 1})
    error = {"error": {"message": "Invalid parameter", "code": 100, "error_user_msg": "custom_data.currency"}}
    refused = side("e2", meta_body("e2", value=1), error, status=400, state="rejected")
    found = diff_payloads(ok, refused)
    assert found.request == [Difference("data[0].custom_data.currency", Kind.ONLY_IN_A, 'string "USD"', "")]
    assert found.answer == [
        Difference("(outcome)", Kind.VALUE, "delivered", "rejected"),
        Difference("(HTTP status)", Kind.VALUE, "200", "400"),
        Difference("events_received", Kind.ONLY_IN_A, "number 1", ""),
        Difference("error.message", Kind.ONLY_IN_B, "", 'string "Invalid parameter"'),
        Difference("error.code", Kind.ONLY_IN_B, "", "number 100"),
        Difference("error.error_user_msg", Kind.ONLY_IN_B, "", 'string "custom_data.currency"'),
    ]
    assert not found.same


def test_an_answers_short_list_is_one_value_and_a_list_of_objects_is_listed_item_by_item():
    a = {}
    b = {"blame": [["data", "0", "user_data.fbc"]], "rows": [{"status": 400}]}
    assert diff_documents(a, b, values=True) == [
        Difference("blame[0]", Kind.ONLY_IN_B, "", 'array ["data", "0", "user_data.fbc"]'),
        Difference("rows[0].status", Kind.ONLY_IN_B, "", "number 400"),
    ]


def test_two_refusals_differ_in_their_error_code_value():
    a = side("e1", meta_body("e1"), {"error": {"code": 100}}, 400, "rejected")
    b = side("e2", meta_body("e2"), {"error": {"code": 190}}, 400, "rejected")
    assert diff_payloads(a, b).answer == [Difference("error.code", Kind.VALUE, "100", "190")]


def test_each_events_own_element_is_compared_when_a_body_was_kept_whole():
    def batch(first: dict, second: dict) -> str:
        return json.dumps({"data": [first, second]})

    a = side("e1", batch({"event_id": "e1", "value": 1}, {"event_id": "x", "value": "1"}), {})
    b = side("e2", batch({"event_id": "y", "value": 1}, {"event_id": "e2", "value": "2"}), {})
    assert diff_payloads(a, b).request == [Difference("data[0].value", Kind.TYPE, "number 1", 'string "2"')]


def test_a_body_cut_at_the_bound_is_compared_as_text_with_a_note():
    cut = '{"data":[{"x":1' + "…[cut at 16 kB of 20000 bytes]"
    found = diff_payloads(side("e1", cut, {}), side("e2", meta_body("e2"), {}))
    assert [item.path for item in found.request] == ["(body)"] and found.notes


def test_no_answer_against_an_answer():
    a = Side("e1", meta_body("e1"), "", 0, "retrying")
    b = side("e2", meta_body("e2"), {"events_received": 1})
    found = diff_payloads(a, b).answer
    assert Difference("(HTTP status)", Kind.VALUE, "no answer", "200") in found
    assert found[-1].path == "(body)" and found[-1].kind is Kind.ONLY_IN_B


def test_identical_payloads_and_answers_are_the_same():
    a = side("e1", meta_body("e1", value=1), {"events_received": 1})
    assert diff_payloads(a, side("e2", meta_body("e2", value=3), {"events_received": 1})).same
