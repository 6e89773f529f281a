"""The JSON value checks every emulator shares: a bool is no number, an array must not be empty."""

from __future__ import annotations

import math

from signalmesh.sandbox.json_values import (
    all_strings,
    is_currency_code,
    is_ip_address,
    is_number,
    is_sha256_hex,
    unhashed_keys,
)

DIGEST = "a" * 64


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


def test_a_sha256_digest_is_64_lower_case_hex_characters() -> None:
    assert [is_sha256_hex(value) for value in (DIGEST, DIGEST.upper(), DIGEST[:-1], "g" * 64, None)] == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_unhashed_keys_names_present_keys_whose_values_are_not_all_digests() -> None:
    record = {"em": DIGEST, "ph": [DIGEST, "+15551234567"], "fn": [], "ct": "paris"}
    assert unhashed_keys(record, ("em", "ph", "fn", "ln")) == ["ph", "fn"]


def test_a_currency_code_is_three_letters_of_either_case() -> None:
    assert [is_currency_code(value) for value in ("USD", "eur", "US", "US1", 840)] == [
        True,
        True,
        False,
        False,
        False,
    ]
