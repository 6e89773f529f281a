"""The text building blocks every connector composes: the shared hashing rule above all."""

from __future__ import annotations

import hashlib

from signalmesh.normalize.text import hashed, is_sha256_hex, nfc

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
