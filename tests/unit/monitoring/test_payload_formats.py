"""The formats a diff tells apart: hashes from clear values, numbers kept as text, seconds from
milliseconds."""

from __future__ import annotations

from signalmesh.monitoring.payload_formats import dotted_shape, value_format

HASH = "a" * 64


def test_formats_a_reader_recognises():
    assert value_format(HASH.upper()) == "SHA-256 hash in upper case"
    assert value_format("29.99") == "number as text"
    assert value_format("+1 (415) 555-0188") == "clear phone"
    assert value_format("2024-05-01 12:00:00+00:00") == "date-time text"
    assert value_format("") == "empty string"
    assert value_format(1_717_000_000) == "number", "only a time field's magnitude means seconds"
    assert value_format(True) == "boolean"


def test_a_dotted_token_with_a_time_has_a_shape_and_other_dotted_text_has_none():
    assert dotted_shape("fb.1.1717000000123.IwAR2xyz") == "token fb.1.<milliseconds>.<text>"
    assert dotted_shape("555.1717000000") == "token <digits>.<seconds>"
    assert dotted_shape("shop.example.com") is None
    assert value_format("203.0.113.9") == "IPv4 address"
