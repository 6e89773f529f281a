"""Phones → E.164: every way of writing a number gives one string; nothing is guessed."""

from __future__ import annotations

import pytest
from signalmesh.normalize.phones import to_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (650) 555-1212", None, "+16505551212"),
        ("+16505551212", None, "+16505551212"),
        ("(650) 555-1212", "US", "+16505551212"),
        ("(650) 555-1212", "us", "+16505551212"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("0044 20 7183 8750", None, "+442071838750"),
        ("16505551212", None, "+16505551212"),
    ],
)
def test_every_way_of_writing_a_number_gives_its_e164_form(raw, region, expected):
    assert to_e164(raw, region) == expected


def test_a_national_number_without_a_region_is_not_guessed():
    assert to_e164("(650) 555-1212") is None


def test_a_local_number_without_its_area_code_is_dropped():
    # Seven digits match nobody: the area code is missing.
    assert to_e164("555-1212", "US") is None


@pytest.mark.parametrize("raw", ["", "   ", "not a phone", "+1 12", "+999 1234 5678"])
def test_text_that_is_not_a_possible_number_gives_none(raw):
    assert to_e164(raw, "US" if raw.startswith("n") else None) is None
