"""LinkedIn's identifier rules (platforms.md §4.3, §4.4, §6.4) as test vectors.

The expected digests are computed here from the documented normal form, so each row checks
the normalisation, not a copy of the code's own output.
"""

from __future__ import annotations

import hashlib

import pytest

from signalmesh_linkedin import normalize


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "normal_form"),
    [
        # §4.3 SHA256_EMAIL: "SHA-256 hex of the lower-cased email with whitespace removed".
        ("john_smith@gmail.com", "john_smith@gmail.com"),
        ("John_Smith@Gmail.COM", "john_smith@gmail.com"),
        ("  Jane.Doe@Example.com\t", "jane.doe@example.com"),
        # Whitespace removed everywhere, not only trimmed (§6.4 "remove whitespace").
        ("jane .doe@ example.com", "jane.doe@example.com"),
        ("jane.doe@example.com\u00a0", "jane.doe@example.com"),
        # No provider rewriting: gmail dots and +tags stay (that rule is Google's, §2C).
        ("J.O.H.N+ads@gmail.com", "j.o.h.n+ads@gmail.com"),
        # Composed and decomposed accents give one digest.
        ("Ren\u0065\u0301@example.fr", "ren\u00e9@example.fr"),
    ],
)
def test_email_is_lower_cased_without_whitespace_then_sha256(raw: str, normal_form: str) -> None:
    assert normalize.email(raw) == normal_form
    assert normalize.hashed_email(raw) == sha256(normal_form)


@pytest.mark.parametrize("raw", ["", "   ", "not-an-email", "two@@example.com", "jane@localhost"])
def test_values_that_are_not_emails_are_dropped(raw: str) -> None:
    assert normalize.hashed_email(raw) is None


def test_an_email_hashed_by_the_client_is_passed_through_not_hashed_twice() -> None:
    digest = sha256("jane.doe@example.com")
    assert normalize.hashed_email(f" {digest} ") == digest
    # Hex is case-insensitive; LinkedIn gets the lower-case form, still the same digest.
    assert normalize.hashed_email(digest.upper()) == digest


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # §4.4: li_fat_id is sent raw; only surrounding whitespace is not part of it.
        ("df8a4e32-9b7d-4f5c-a6e1-1c2b3d4e5f60", "df8a4e32-9b7d-4f5c-a6e1-1c2b3d4e5f60"),
        (" AbC-123_xyz ", "AbC-123_xyz"),
        ("", None),
        ("   ", None),
    ],
)
def test_li_fat_id_is_kept_raw_apart_from_surrounding_whitespace(raw: str, expected: str | None) -> None:
    assert normalize.li_fat_id(raw) == expected
