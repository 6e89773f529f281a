"""The webhook's hashing rules (README "Hashing rules"), as a table of raw value → normalised form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from signalmesh.normalize.text import sha256_hex

from signalmesh_webhook import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        # No provider rules: Gmail dots and +tags are the receiver's business.
        ("John.Smith+tag@Gmail.com", "john.smith+tag@gmail.com"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
        ("not-an-email", None),
        ("two@@example.com", None),
        ("", None),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, expected: str | None) -> None:
    assert normalize.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+1 650 555 1212", None, "+16505551212"),
        ("(650) 555-1212", "US", "+16505551212"),
        # The event's country may be a name: it still supplies the country code.
        ("(650) 555-1212", "United States", "+16505551212"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("020 7183 8750", "United Kingdom", "+442071838750"),
        # Italy keeps the leading 0 of the national number: E.164 says it is part of it.
        ("06 1234 5678", "it", "+390612345678"),
        # Digits that already carry their country code, and no country to help.
        ("16505551212", None, "+16505551212"),
        # A national number without a country, or a local number without an area code.
        ("6505551212", None, None),
        ("555-1212", "US", None),
        ("call me", "US", None),
    ],
)
def test_phone_is_e164_with_plus_using_the_event_country(
    raw: str, country: str | None, expected: str | None
) -> None:
    assert normalize.phone(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  User-42 ", "User-42"), ("crm-778899", "crm-778899"), ("   ", None)],
)
def test_external_id_is_trimmed_and_keeps_its_case(raw: str, expected: str | None) -> None:
    assert normalize.external_id(raw) == expected


@pytest.mark.parametrize("normalise", [normalize.email, normalize.external_id])
def test_already_hashed_values_pass_through_lower_cased(normalise: Callable[[str], str | None]) -> None:
    digest = sha256_hex("jane.doe@example.com")
    assert normalize.hashed(f" {digest.upper()} ", normalise) == digest


def test_hashed_is_the_sha256_of_the_normalised_form() -> None:
    assert normalize.hashed(" Jane.Doe@Example.COM", normalize.email) == sha256_hex("jane.doe@example.com")
    assert normalize.hashed("not-an-email", normalize.email) is None
