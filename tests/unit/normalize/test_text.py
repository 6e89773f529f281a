"""The text building blocks every connector composes: the shared hashing rule above all."""

from __future__ import annotations

import hashlib
import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from signalmesh.normalize.text import hashed, is_sha256_hex, letters_only, nfc, nfc_lower, without_punctuation

DIGEST = hashlib.sha256(b"jane@example.com").hexdigest()


def lower(value: str) -> str | None:
    return value.lower() or None


def test_hashed_normalises_then_hashes_the_trimmed_value() -> None:
    assert hashed("  Jane@Example.com ", lower) == DIGEST


def test_a_digest_is_passed_through_lower_cased_never_hashed_twice() -> None:
    assert hashed(f" {DIGEST.upper()} ", lower) == DIGEST


def test_a_value_the_rule_drops_is_not_hashed() -> None:
    assert hashed("anything", lambda value: None) is None
    assert hashed("   ", lower) is None


def test_is_sha256_hex_needs_exactly_64_hex_characters() -> None:
    assert is_sha256_hex(DIGEST) and is_sha256_hex(DIGEST.upper())
    assert not is_sha256_hex(DIGEST[:-1]) and not is_sha256_hex(DIGEST[:-1] + "g")


def test_nfc_composes_accents_so_one_name_has_one_hash() -> None:
    assert nfc("Vale\u0301ry") == "Valéry" and len(nfc("Vale\u0301ry")) == 6


# The rules as written for any text, character by character: the ASCII fast paths must agree.
def by_category_without_punctuation(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char)[0] not in "PS")


def by_category_letters_only(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char)[0] in "LM")


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=24))
def test_ascii_text_is_filtered_exactly_as_by_unicode_categories(text: str) -> None:
    assert without_punctuation(text) == by_category_without_punctuation(text)
    assert letters_only(text) == by_category_letters_only(text)
    assert nfc_lower(text) == nfc(nfc(text.strip()).lower())


@given(st.text(max_size=24))
def test_any_text_is_filtered_as_by_unicode_categories(text: str) -> None:
    assert without_punctuation(text) == by_category_without_punctuation(text)
    assert letters_only(text) == by_category_letters_only(text)
    assert nfc_lower(text) == nfc(nfc(text.strip()).lower())


def test_every_ascii_character_is_kept_or_dropped_by_its_category() -> None:
    every = "".join(chr(code) for code in range(128))
    assert without_punctuation(every) == by_category_without_punctuation(every)
    assert letters_only(every) == "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    assert without_punctuation("O'Brien-Smith, Jr.") == "OBrienSmith Jr"
    assert nfc_lower("  ÉLODIE ") == "élodie" and nfc_lower(" Jane ") == "jane"
