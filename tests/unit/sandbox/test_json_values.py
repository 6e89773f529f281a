"""The JSON value checks every emulator shares: a bool is no number, an array must not be empty."""

from __future__ import annotations

import math

from signalmesh.sandbox.json_values import all_strings, is_ip_address, is_number


def test_only_finite_non_bool_numbers_are_numbers() -> None:
    assert [is_number(value) for value in (1, 2.5, True, math.inf, "3")] == [True, True, False, False, False]


def test_ip_addresses_are_strings_of_either_family() -> None:
    assert [is_ip_address(value) for value in ("203.0.113.7", "2001:db8::1", "example.com", 7)] == [
        True,
        True,
        False,
        False,
    ]


def test_all_strings_takes_one_string_or_a_non_empty_array_of_accepted_strings() -> None:
    assert all_strings("a", str.isalpha)
    assert all_strings(["a", "b"], str.isalpha)
    assert not all_strings([], str.isalpha)
    assert not all_strings(["a", 1], str.isalpha)
    assert not all_strings(["a", "1"], str.isalpha)
