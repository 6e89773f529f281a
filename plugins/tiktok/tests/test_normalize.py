"""TikTok's normalisation rules as a vector table.

TikTok publishes no literal hash vectors for the Events API. The normalised shapes below come
from platforms.md §3.2 and §6.4 (email trim + lower-case, phone E.164 with '+'), TikTok's
customer-file spec T3 (same shapes), and Segment's connector [3P S3] for names, zip code and
places. Each expected digest is SHA-256 of the expected plain text, computed here with hashlib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from signalmesh_tiktok import normalize

Normaliser = Callable[[str], str | None]


def us_phone(raw: str) -> str | None:
    return normalize.phone(raw, "US")


def gb_phone(raw: str) -> str | None:
    return normalize.phone(raw, "GB")


def it_phone(raw: str) -> str | None:
    return normalize.phone(raw, "IT")


def any_phone(raw: str) -> str | None:
    return normalize.phone(raw, None)


# (raw input, normaliser, normalised plain text that is hashed; None = dropped)
HASHED_VECTORS: list[tuple[str, Normaliser, str | None]] = [
    # §3.2 / T3: email trimmed and lower-cased.
    (" John.Smith@Example.COM ", normalize.email, "john.smith@example.com"),
    # §6.4: no gmail dot or +suffix rule for TikTok (that is Google's).
    ("John.Smith+ads@Gmail.com", normalize.email, "john.smith+ads@gmail.com"),
    ("not-an-email", normalize.email, None),
    # §3.2 / §6.4 / T3: phone E.164 with '+' and country code ("+16505551212", not Meta's 1650…).
    ("+1 (650) 555-1212", any_phone, "+16505551212"),
    ("(650) 555-1212", us_phone, "+16505551212"),
    ("650.555.1212", us_phone, "+16505551212"),
    ("16505551212", any_phone, "+16505551212"),
    ("020 7183 8750", gb_phone, "+442071838750"),
    ("+44 (0)20 7183 8750", gb_phone, "+442071838750"),
    ("0044 20 7183 8750", any_phone, "+442071838750"),
    # E.164 keeps the meaningful leading zero of an Italian number.
    ("06 6988 4857", it_phone, "+390669884857"),
    # A local number without its area code, or no digits at all, matches nobody: dropped.
    ("555-1212", us_phone, None),
    ("call me", any_phone, None),
    # §3.2: external_id trimmed and hashed; Segment's lower-casing is not a TikTok rule.
    (" crm-42 ", normalize.external_id, "crm-42"),
    ("CRM-42", normalize.external_id, "CRM-42"),
    # Segment [3P S3]: first_name / last_name lower-case, spaces removed.
    ("Mary Ann", normalize.name, "maryann"),
    (" JOHN ", normalize.name, "john"),
    # Unicode NFC: "é" typed as e + combining accent hashes like the precomposed letter.
    ("Vale\u0301ry", normalize.name, "val\u00e9ry"),
    # Segment [3P S3]: zip_code lower-case, spaces removed.
    ("SW1A 1AA", normalize.zip_code, "sw1a1aa"),
    ("94035", normalize.zip_code, "94035"),
]


@pytest.mark.parametrize(("raw", "normalise", "expected"), HASHED_VECTORS)
def test_hashed_keys_normalise_to_tiktoks_shape_then_sha256(
    raw: str, normalise: Normaliser, expected: str | None
) -> None:
    assert normalise(raw.strip()) == expected
    digest = normalize.hashed(raw, normalise)
    if expected is None:
        assert digest is None
    else:
        assert digest == hashlib.sha256(expected.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Segment [3P S3]: city/state non-alphanumerics removed, lower-case, not hashed.
        ("New York", "newyork"),
        ("CA", "ca"),
        ("Saint-Étienne", "saintétienne"),
        ("São Paulo", "sãopaulo"),
        ("  ", None),
    ],
)
def test_city_and_state_are_lower_case_alphanumerics_sent_raw(raw: str, expected: str | None) -> None:
    assert normalize.place(raw) == expected


def test_already_hashed_value_passes_through_lower_cased() -> None:
    digest = hashlib.sha256(b"john.smith@example.com").hexdigest()
    assert normalize.hashed(digest, normalize.email) == digest
    assert normalize.hashed(f" {digest.upper()} ", normalize.email) == digest


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("US", "us"), (" gb ", "gb"), ("United States", "us"), ("Deutschland", "de"), ("Atlantis", None)],
)
def test_country_is_a_lower_case_alpha_2_code_or_dropped(raw: str, expected: str | None) -> None:
    assert normalize.country(raw) == expected
