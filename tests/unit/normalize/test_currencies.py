"""ISO 4217: which codes are active, and how many decimals each takes."""

from __future__ import annotations

import pytest
from signalmesh.normalize.currencies import MINOR_UNITS, is_active_currency, minor_units


@pytest.mark.parametrize(("code", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("CLF", 4)])
def test_minor_units_follow_iso_4217(code, digits):
    assert is_active_currency(code) and minor_units(code) == digits


@pytest.mark.parametrize("code", ["usd", "XAU", "XDR", "XYZ", "", "US"])
def test_lower_case_metals_funds_and_unknown_codes_are_not_active(code):
    assert not is_active_currency(code)


def test_every_code_is_three_upper_case_letters_listed_once():
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in MINOR_UNITS)
    assert set(MINOR_UNITS.values()) == {0, 2, 3, 4}
