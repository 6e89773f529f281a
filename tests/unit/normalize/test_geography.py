"""Countries and US states: a code or a name, as people write them, → one lower-case code."""

from __future__ import annotations

import pytest
from signalmesh.normalize.geography import country_code, us_state_code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("US", "us"),
        ("us", "us"),
        ("u.s.", "us"),
        ("USA", "us"),
        ("United States", "us"),
        ("Deutschland", "de"),
        ("Germany", "de"),
        ("UK", "gb"),
        ("United Kingdom", "gb"),
        (" France ", "fr"),
        ("FRA", "fr"),
        ("Côte d’Ivoire", "ci"),
    ],
)
def test_codes_names_and_common_aliases_resolve(value, expected):
    assert country_code(value) == expected


@pytest.mark.parametrize("value", ["", "  ", "Atlantis", "XX", "AC", "TA"])
def test_unknown_or_withdrawn_countries_are_none(value):
    assert country_code(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("CA", "ca"), ("ca", "ca"), ("California", "ca"), ("new york", "ny"), ("Washington D.C.", "dc")],
)
def test_us_states_resolve_from_codes_and_names(value, expected):
    assert us_state_code(value) == expected


@pytest.mark.parametrize("value", ["", "Bavaria", "ZZ"])
def test_other_regions_are_not_us_states(value):
    assert us_state_code(value) is None
