"""Phones → E.164: every way of writing a number gives one string; nothing is guessed."""

from __future__ import annotations

import random

import phonenumbers
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


def _phonenumbers_e164(text: str, region: str | None) -> str | None:
    """What phonenumbers alone answers for ``text``: the reference the fast path must equal."""
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_north_american_fast_path_answers_as_phonenumbers_does() -> None:
    """Every +1 number the fast path takes gives phonenumbers' own E.164, whatever the region:
    area codes 200–999 with seeded random subscriber numbers and the edges of each digit."""
    generator = random.Random(12)
    corpus = [f"+1{area}{generator.randrange(10_000_000):07d}" for area in range(200, 1000) for _ in range(3)]
    corpus += [f"+1{area}{edge}" for area in range(200, 1000) for edge in ("0000000", "9999999")]
    for text in corpus:
        for region in (None, "US", "GB", "de"):
            assert to_e164(text, region) == _phonenumbers_e164(text, region.upper() if region else None), text


def test_numbers_beside_the_fast_path_still_go_through_phonenumbers() -> None:
    """Forms the fast path leaves alone (area code 0/1, too short or long, spaces) keep their answers."""
    beside = ("+10505551212", "+11505551212", "+1650555121", "+165055512123")
    beside += (" +1 650 555 1212", "+442071838750")
    for text in beside:
        assert to_e164(text) == _phonenumbers_e164(text.strip(), None), text
