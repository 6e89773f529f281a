"""Meta's normalisation rules, checked against Meta's own documentation vectors.

Vectors: platforms.md §1.4 / Meta customer-information-parameters (source M1). The doc prints
each SHA-256 shortened to its first and last characters; the full digests below were computed
with hashlib and are asserted to agree with the doc's prefix and suffix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from signalmesh.normalize.text import sha256_hex

from signalmesh_meta import normalize

# (raw input, normaliser, normalised plain text, doc digest prefix, doc digest suffix)
DOC_VECTORS: list[tuple[str, Callable[[str], str | None], str, str, str]] = [
    ("john_smith@gmail.com", normalize.email, "john_smith@gmail.com", "62a14e44", "aa0f62f"),
    ("(650)555-1212", lambda raw: normalize.phone(raw, "us"), "16505551212", "e323ec62", "ab3176"),
    ("mary", normalize.name, "mary", "6915771b", "49f4ec"),
    # "valéry" with a precomposed é (NFC), as the doc's digest requires.
    ("val\u00e9ry", normalize.name, "val\u00e9ry", "08e1996b", "17149c"),
    # The doc's own input, month first (M1 "db"), and the ISO form UserData documents.
    ("2/16/1997", normalize.date_of_birth, "19970216", "01acdbf6", "f40f0c"),
    ("1997-02-16", normalize.date_of_birth, "19970216", "01acdbf6", "f40f0c"),
    ("us", normalize.country, "us", "79adb2a2", "904621"),
]


@pytest.mark.parametrize(("raw", "normalise", "expected", "prefix", "suffix"), DOC_VECTORS)
def test_doc_vectors_normalise_and_hash_like_meta(
    raw: str, normalise: Callable[[str], str | None], expected: str, prefix: str, suffix: str
) -> None:
    """Each doc input normalises to the doc's form and hashes to the doc's digest."""
    assert normalise(raw) == expected
    digest = normalize.hashed(raw, normalise)
    assert digest == hashlib.sha256(expected.encode("utf-8")).hexdigest()
    assert digest is not None and digest.startswith(prefix) and digest.endswith(suffix)


def test_decomposed_accent_hashes_like_the_precomposed_doc_vector() -> None:
    """``valéry`` typed as e + combining accent (NFD) still gives Meta's NFC digest."""
    assert normalize.hashed("vale\u0301ry", normalize.name) == sha256_hex("val\u00e9ry")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # Meta: ph always with country code; the SDK leaves "(650)555-1212" as 6505551212.
        ("(650)555-1212", "us", "16505551212"),
        ("650.555.1212", "US", "16505551212"),
        ("+1 650 555 1212", None, "16505551212"),
        # Digits that already carry a country code, with and without a region to help.
        ("16505551212", None, "16505551212"),
        ("16505551212", "us", "16505551212"),
        # Meta: no leading zeros; "0044…" is the international prefix, not part of the number.
        ("0044 20 7183 8750", None, "442071838750"),
        # The SDK keeps the UK trunk 0 here (4402071838750); the number has none.
        ("+44 (0)20 7183 8750", "gb", "442071838750"),
        ("020 7183 8750", "gb", "442071838750"),
        # Italy keeps the leading 0 of the national number: it is part of the number.
        ("06 1234 5678", "it", "390612345678"),
    ],
)
def test_phone_gets_digits_only_with_country_code(raw: str, region: str | None, expected: str) -> None:
    """Meta: digits only, with the country code, no '+', no leading zeros."""
    assert normalize.phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("6505551212", None),  # national number and no country: the country code is unknown
        ("555-1212", "us"),  # local number without an area code
        ("call me", "us"),
        ("", "us"),
    ],
)
def test_phone_that_cannot_be_made_international_is_dropped(raw: str, region: str | None) -> None:
    assert normalize.phone(raw, region) is None


@pytest.mark.parametrize(
    ("normalise", "raw", "expected"),
    [
        (normalize.email, "  John.Smith+tag@Gmail.com ", "john.smith+tag@gmail.com"),  # no gmail rule
        (normalize.name, "O'Brien", "obrien"),  # the SDK keeps the apostrophe
        (normalize.name, "  Jean-Luc ", "jeanluc"),
        # Meta's parameter builder strips whitespace in names too ("John Smith" → "johnsmith").
        (normalize.name, "Mary  Ann", "maryann"),
        (normalize.name, "ÉLODIE", "élodie"),  # accents kept
        (normalize.gender, "Female", "f"),
        (normalize.gender, "M", "m"),
        (normalize.date_of_birth, "19970216", "19970216"),
        # Meta: "a range of month, day and year combinations, with or without punctuation".
        (normalize.date_of_birth, "02-16-1997", "19970216"),
        (normalize.date_of_birth, "02161997", "19970216"),
        (normalize.date_of_birth, "1997/2/6", "19970206"),
        (normalize.date_of_birth, "2.6.1997", "19970206"),
        (normalize.city, "New York", "newyork"),
        (normalize.city, "San José", "sanjosé"),
        (normalize.city, "St. Louis", "stlouis"),
        (normalize.country, "United States", "us"),  # the SDK raises on full names
        (normalize.country, "U.S.", "us"),
        (normalize.country, "UK", "gb"),
        (normalize.country, "Deutschland", "de"),
        (normalize.country, "FR", "fr"),
        (normalize.external_id, "  User-42 ", "User-42"),
    ],
)
def test_normalisers_follow_the_doc_rules(
    normalise: Callable[[str], str | None], raw: str, expected: str
) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("California", "us", "ca"),  # the SDK sends "california"
        ("New York", None, "ny"),
        ("N.Y.", "us", "ny"),
        ("ca", "us", "ca"),
        ("Bayern", "de", "bayern"),
        # Outside the US a state name is not mapped to a US code.
        ("Georgia", "de", "georgia"),
    ],
)
def test_state_is_the_us_code_or_letters_only(raw: str, country: str | None, expected: str) -> None:
    assert normalize.state(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("94035-1234", "us", "94035"),
        ("940351234", "us", "94035"),
        ("94035", None, "94035"),
        ("M1 1AE", "gb", "m11ae"),
        ("10115", "de", "10115"),
    ],
)
def test_zip_is_lower_case_without_spaces_or_dashes(raw: str, country: str | None, expected: str) -> None:
    assert normalize.zip_code(raw, country) == expected


@pytest.mark.parametrize(
    ("normalise", "raw"),
    [
        (normalize.email, "not-an-email"),
        (normalize.email, "two@@example.com"),
        (normalize.gender, "x"),
        (normalize.date_of_birth, "1997-02-30"),
        (normalize.date_of_birth, "16/02/1997"),
        (normalize.date_of_birth, "1899-12-31"),
        (normalize.country, "Atlantis"),
        (normalize.country, "zz"),
        (normalize.name, "'-."),
    ],
)
def test_values_that_cannot_be_normalised_are_dropped(
    normalise: Callable[[str], str | None], raw: str
) -> None:
    assert normalise(raw) is None


def test_date_of_birth_after_the_event_year_is_dropped() -> None:
    assert normalize.date_of_birth("2030-01-01", latest_year=2026) is None
    assert normalize.date_of_birth("2026-01-01", latest_year=2026) == "20260101"


@pytest.mark.parametrize(
    "normalise",
    [normalize.email, normalize.name, normalize.city, normalize.country, normalize.external_id],
)
def test_already_hashed_values_are_passed_through_not_hashed_twice(
    normalise: Callable[[str], str | None],
) -> None:
    digest = sha256_hex("john_smith@gmail.com")
    assert normalize.hashed(f"  {digest} ", normalise) == digest
    assert normalize.hashed(digest.upper(), normalise) == digest


def test_hashed_returns_none_for_a_dropped_value() -> None:
    assert normalize.hashed("not-an-email", normalize.email) is None


def test_external_id_is_hashed_after_trimming_only() -> None:
    """Meta recommends hashing external_id; its case is kept to match the pixel's format."""
    assert normalize.hashed(" User-42 ", normalize.external_id) == sha256_hex("User-42")
    assert normalize.hashed("User-42", normalize.external_id) != sha256_hex("user-42")
