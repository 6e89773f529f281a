"""Google's user-provided-data normalisation for GA4, as vector tables.

Sources (platforms.md §2A "user_data", §2C):
- G10 https://developers.google.com/data-manager/api/devguides/concepts/formatting
  ("Format email addresses", "Format phone numbers"): the gmail example
  ``cloudy.sanfrancisco+shopping@gmail.com`` → ``cloudysanfrancisco@gmail.com``, the non-gmail
  example ``user.name+NYC@Example.com`` kept with its dot and plus tag, and the E.164 phone
  ``+1 800 555 0100`` → ``+18005550100``.
- G4 https://developers.google.com/analytics/devguides/collection/ga4/uid-data (the field table):
  names lose digits and symbols; city and region lose digits and symbols and are NOT hashed;
  postal code loses '.' and '~'; country is ISO 3166-1 alpha-2.
Google publishes no literal digests for these examples; each expected digest is SHA-256 of the
expected plain text, computed here with hashlib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from signalmesh_ga4 import normalize

Normaliser = Callable[[str], str | None]


def us_phone(raw: str) -> str | None:
    return normalize.phone(raw, "US")


def any_phone(raw: str) -> str | None:
    return normalize.phone(raw, None)


# (raw input, normaliser, normalised plain text; None = dropped)
HASHED_VECTORS: list[tuple[str, Normaliser, str | None]] = [
    # G10: gmail.com loses every dot of the local part and the +suffix.
    ("cloudy.sanfrancisco+shopping@gmail.com", normalize.email, "cloudysanfrancisco@gmail.com"),
    # G10: other domains keep dots and plus tags; only case and whitespace change.
    ("user.name+NYC@Example.com", normalize.email, "user.name+nyc@example.com"),
    # §2C: googlemail.com is treated like gmail.com.
    ("J.Doe+news@GoogleMail.com", normalize.email, "jdoe@googlemail.com"),
    # §2A: trim, lower-case, remove spaces.
    ("  Jane . Doe @ Example.org ", normalize.email, "jane.doe@example.org"),
    ("not-an-email", normalize.email, None),
    # A gmail local part made only of a tag has no address left.
    ("+tag@gmail.com", normalize.email, None),
    # G10: E.164 with the leading '+'.
    ("+1 800 555 0100", any_phone, "+18005550100"),
    ("(800) 555-0100", us_phone, "+18005550100"),
    ("+44 20 7183 8750", any_phone, "+442071838750"),
    # A national number without a country to complete it is dropped, never guessed.
    ("(800) 555-0100", any_phone, None),
    # G4: names lose digits and symbols, lower-case, trimmed.
    (" O'Brien-Smythe ", normalize.name, "obriensmythe"),
    ("Janet3", normalize.name, "janet"),
    ("Élodie", normalize.name, "élodie"),
    ("Mary  Ann", normalize.name, "mary ann"),
    # §2C (G10, G4): prefixes and suffixes such as Mrs. or Jr. are removed.
    ("Mrs. Jane", normalize.name, "jane"),
    ("Smith Jr.", normalize.name, "smith"),
    ("Dr Mary Ann III", normalize.name, "mary ann"),
    # ...but a name that is only such a word stays a name.
    ("Miss", normalize.name, "miss"),
    ("1234", normalize.name, None),
]

# (raw input, normaliser, sent in clear; None = dropped) — G4: city, region, postal code and
# country are not hashed.
CLEAR_VECTORS: list[tuple[str, Normaliser, str | None]] = [
    ("St. Louis", normalize.city, "st louis"),
    (" New York 2 ", normalize.city, "new york"),
    ("N.Y.", normalize.region, "ny"),
    ("California", normalize.region, "california"),
    ("94035.", normalize.postal_code, "94035"),
    (" SW1A~1AA ", normalize.postal_code, "SW1A1AA"),
    ("us", normalize.country, "US"),
    ("United States", normalize.country, "US"),
    ("Atlantis", normalize.country, None),
]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(("raw", "normaliser", "expected"), HASHED_VECTORS)
def test_hashed_fields_are_normalised_by_googles_rules(
    raw: str, normaliser: Normaliser, expected: str | None
) -> None:
    assert normaliser(raw) == expected


@pytest.mark.parametrize(("raw", "normaliser", "expected"), [v for v in HASHED_VECTORS if v[2]])
def test_hashed_is_sha256_of_the_normalised_text(raw: str, normaliser: Normaliser, expected: str) -> None:
    assert normalize.hashed(raw, normaliser) == sha256(expected)


@pytest.mark.parametrize(("raw", "normaliser", "expected"), CLEAR_VECTORS)
def test_address_fields_sent_in_clear_are_normalised(
    raw: str, normaliser: Normaliser, expected: str | None
) -> None:
    assert normaliser(raw) == expected


def test_an_existing_digest_is_passed_through_lower_cased_never_hashed_twice() -> None:
    digest = sha256("jane@example.com")
    assert normalize.hashed(f" {digest.upper()} ", normalize.email) == digest


def test_plain_drops_a_digest_where_google_wants_clear_text() -> None:
    assert normalize.plain(sha256("st louis"), normalize.city) is None
    assert normalize.plain("St. Louis", normalize.city) == "st louis"


def test_region_for_phone_ignores_hashed_or_unknown_countries() -> None:
    assert normalize.region_for_phone(" gb ") == "gb"
    assert normalize.region_for_phone(sha256("us")) is None
    assert normalize.region_for_phone("") is None
