"""An event's own part of a request body: its element of the events array, in the envelope."""

from __future__ import annotations

from signalmesh.monitoring.payload_parts import element_positions, named_event_id, own_part, split_by_event


def test_the_event_id_is_found_under_either_spelling_and_inside_nested_objects():
    assert named_event_id({"event_id": "a"}) == "a"
    assert named_event_id({"eventId": "b"}) == "b"
    assert named_event_id({"name": "purchase", "params": {"event_id": "c"}}) == "c"  # GA4
    assert named_event_id({"orderId": "x"}) is None
    assert named_event_id("not an object") is None


def test_split_by_id_wherever_each_element_sits():
    body = {"data": [{"event_id": "b"}, {"event_id": "a"}], "test_event_code": "T"}
    assert split_by_event(body, ["a", "b"]) == {
        "a": {"data": [{"event_id": "a"}], "test_event_code": "T"},
        "b": {"data": [{"event_id": "b"}], "test_event_code": "T"},
    }


def test_split_by_position_when_an_element_names_no_event():
    body = {"conversions": [{"orderId": "1"}, {"orderId": "2"}]}
    assert split_by_event(body, ["a", "b"])["b"] == {"conversions": [{"orderId": "2"}]}


def test_no_split_without_exactly_one_array_of_as_many_objects():
    assert split_by_event({"data": [{"event_id": "a"}]}, ["a", "b"]) is None
    assert split_by_event({"x": [{}, {}], "y": [{}, {}]}, ["a", "b"]) is None
    assert split_by_event(["a", "b"], ["a", "b"]) is None


def test_own_part_of_a_whole_body_is_found_by_the_id_and_otherwise_the_body_stays():
    body = {"events": [{"params": {"event_id": "a"}}, {"params": {"event_id": "b"}}], "client_id": "1"}
    assert own_part(body, "b") == {"events": [{"params": {"event_id": "b"}}], "client_id": "1"}
    assert own_part(body, "zzz") == body
    assert own_part({"data": [{"event_id": "a"}]}, "a") == {"data": [{"event_id": "a"}]}


def test_positions_name_each_events_element_by_id_else_by_position():
    body = {"data": [{"event_id": "b"}, {"event_id": "a"}, {"event_id": "a"}], "test_event_code": "T"}
    assert element_positions(body, ["a", "b", "c"]) == ("data", {"a": 0, "b": 1, "c": 2})  # "c" is unnamed
    assert element_positions(body, ["b", "a", "x"]) == ("data", {"b": 0, "a": 1, "x": 2})
    named = {"data": [{"event_id": "b"}, {"event_id": "a"}]}
    assert element_positions(named, ["a", "b"]) == ("data", {"b": 0, "a": 1})  # the first that names it
    assert element_positions({"data": [{}, {}]}, ["a", "a"]) == ("data", {"a": 1})
    assert element_positions({"x": [{}, {}], "y": [{}, {}]}, ["a", "b"]) is None
