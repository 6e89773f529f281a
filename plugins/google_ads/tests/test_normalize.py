"""Google's normalisation rules (platforms.md §2C), checked as vectors with SHA-256 computed here.

The gmail examples are the Data Manager formatting guide's own (G10); the phone examples are
the E.164 form Google documents and the one its Python ECL sample gets wrong (S2).
"""

from __future__ import annotations

import hashlib

import pytest

from signalmesh_google_ads import normalize


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Data Manager (G10): gmail drops every dot of the local part and the +suffix.
        ("cloudy.sanfrancisco+shopping@gmail.com", "cloudysanfrancisco@gmail.com"),
        # Data Manager (G10): other domains keep dots and plus tags, only lower-cased.
        ("user.name+NYC@Example.com", "user.name+nyc@example.com"),
        ("Jane.Doe+News@GoogleMail.com", "janedoe@googlemail.com"),
        # Trim, lower-case and remove all whitespace (§2C).
        ("  John Smith@Example.COM \t", "johnsmith@example.com"),
        # Only the domain decides: a gmail-looking local part elsewhere is kept.
        ("first.last@gmail.co.uk", "first.last@gmail.co.uk"),
    ],
)
def test_email_follows_the_data_manager_rule(raw: str, expected: str) -> None:
    assert normalize.email(raw) == expected
    assert normalize.hashed(raw, normalize.email) == sha256(expected)


def test_gmail_rule_differs_from_the_python_sample_that_strips_every_domain() -> None:
    """google-ads-python (commit f7ff799) turns a.b+tag@x.com into abtag@x.com; we keep it (§2C)."""
    assert normalize.email("a.b+tag@x.com") == "a.b+tag@x.com"


@pytest.mark.parametrize("raw", ["not-an-email", "two@@example.com", "+only-tag@gmail.com", "@gmail.com", ""])
def test_email_that_cannot_be_normalised_is_dropped(raw: str) -> None:
    assert normalize.email(raw) is None
    assert normalize.hashed(raw, normalize.email) is None


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # google-ads-python's ECL sample hashes this string with its spaces; Google wants E.164.
        ("+1 800 5550102", None, "+18005550102"),
        ("(800) 555-0100", "US", "+18005550100"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("18005550100", None, "+18005550100"),
    ],
)
def test_phone_becomes_e164_with_plus(raw: str, region: str | None, expected: str) -> None:
    assert normalize.phone(raw, region) == expected
    digest = normalize.hashed(raw, lambda value: normalize.phone(value, region))
    assert digest == sha256(expected)


@pytest.mark.parametrize(("raw", "region"), [("555-0100", "US"), ("call me", "US"), ("(800) 555-0100", None)])
def test_phone_that_cannot_be_made_international_is_dropped(raw: str, region: str | None) -> None:
    """A local number without area code, text, or a national number without a country."""
    assert normalize.phone(raw, region) is None


@pytest.mark.parametrize(
    ("country", "region"),
    [("US", "us"), ("us", "us"), ("United States", "us"), (sha256("us"), None), ("", None)],
)
def test_region_for_phones_comes_from_a_readable_country(country: str, region: str | None) -> None:
    assert normalize.region(country) == region


def test_sha256_digest_passes_through_lower_cased_and_never_hashed_twice() -> None:
    digest = sha256("jane@example.com")
    assert normalize.hashed(digest, normalize.email) == digest
    assert normalize.hashed(f" {digest.upper()} ", normalize.email) == digest
