"""The identifier corpus: raw personal identifiers → each platform's normalised string and SHA-256.

``vectors/identifiers.csv`` holds one row per vector: ``platform, field, country, raw,
normalised, sha256, rule``. ``normalised`` was written by hand from the documented rule that
``rule`` cites (platforms.md, the platform's doc, or the webhook README), never copied from our
code; ``sha256`` is hashlib over that column. Conventions:

- ``country`` is the event's ``user_data.country`` as the client sent it, handed to the
  connector the way its payload builder does (phone country code, US state and ZIP rules).
- ``normalised`` empty: the value is dropped (not sent at all); ``sha256`` is then empty too.
- ``sha256`` empty with a ``normalised`` value: the platform takes this field in clear.
- ``raw`` of 64 hex characters on a hashed field: already a digest, passed through lower-cased
  (``normalised`` and ``sha256`` are both that digest), never hashed twice.
- a rule quoting ``doc digest abcd…wxyz`` names the platform's published example digest.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from signalmesh_ga4 import normalize as ga4
from signalmesh_google_ads import normalize as google_ads
from signalmesh_linkedin import normalize as linkedin
from signalmesh_meta import normalize as meta
from signalmesh_tiktok import normalize as tiktok
from signalmesh_webhook import normalize as webhook

CORPUS = Path(__file__).parent / "vectors" / "identifiers.csv"
COLUMNS = ["platform", "field", "country", "raw", "normalised", "sha256", "rule"]
MIN_ROWS = 200
# A connector with personal fields needs a real spread; LinkedIn takes only email and li_fat_id.
MIN_ROWS_PER_PLATFORM = {"meta": 25, "ga4": 25, "google_ads": 25, "tiktok": 25, "webhook": 25, "linkedin": 10}
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_DOC_DIGEST = re.compile(r"doc digest ([0-9a-f]{6,})…([0-9a-f]{6,})")
_CITATION = re.compile(r"platforms\.md §\d|plugins/webhook/README\.md")

Normalise = Callable[[str, str], "str | None"]


@dataclass(frozen=True, slots=True)
class Binding:
    """How a connector treats one field: ``normalise(raw, country)``; ``hashed`` is None for a
    field the platform takes in clear."""

    normalise: Normalise
    hashed: Normalise | None


def hashed_by(
    hashed: Callable[[str, Callable[[str], str | None]], str | None], normalise: Normalise
) -> Binding:
    """A hashed field: the plugin's ``hashed(value, normaliser)`` over ``normalise`` in the row's country."""
    return Binding(normalise, lambda raw, country: hashed(raw, lambda value: normalise(value, country)))


def clear(normalise: Normalise) -> Binding:
    return Binding(normalise, None)


# The country as each payload builder reads it before handing it to a normaliser.
def _meta_country(country: str) -> str | None:
    return meta.country(country) if country.strip() and not _HEX64.fullmatch(country.strip()) else None


def _tiktok_country(country: str) -> str | None:
    return tiktok.country(country) if country.strip() else None


# (platform, field) → the plugin function that normalises it; the one table this corpus tests.
BINDINGS: dict[tuple[str, str], Binding] = {
    # Meta: every customer-information key is hashed (platforms.md §1.4, §6.4).
    ("meta", "email"): hashed_by(meta.hashed, lambda raw, country: meta.email(raw)),
    ("meta", "phone"): hashed_by(meta.hashed, lambda raw, country: meta.phone(raw, _meta_country(country))),
    ("meta", "first_name"): hashed_by(meta.hashed, lambda raw, country: meta.name(raw)),
    ("meta", "last_name"): hashed_by(meta.hashed, lambda raw, country: meta.name(raw)),
    ("meta", "gender"): hashed_by(meta.hashed, lambda raw, country: meta.gender(raw)),
    # Meta: db year 1900 to the current year.
    ("meta", "date_of_birth"): hashed_by(
        meta.hashed, lambda raw, country: meta.date_of_birth(raw, latest_year=date.today().year)
    ),
    ("meta", "city"): hashed_by(meta.hashed, lambda raw, country: meta.city(raw)),
    ("meta", "state"): hashed_by(meta.hashed, lambda raw, country: meta.state(raw, _meta_country(country))),
    ("meta", "zip"): hashed_by(meta.hashed, lambda raw, country: meta.zip_code(raw, _meta_country(country))),
    ("meta", "country"): hashed_by(meta.hashed, lambda raw, country: meta.country(raw)),
    ("meta", "external_id"): hashed_by(meta.hashed, lambda raw, country: meta.external_id(raw)),
    # GA4: email, phone and names hashed; address city/region/postal_code/country in clear (§2A).
    ("ga4", "email"): hashed_by(ga4.hashed, lambda raw, country: ga4.email(raw)),
    ("ga4", "phone"): hashed_by(
        ga4.hashed, lambda raw, country: ga4.phone(raw, ga4.region_for_phone(country))
    ),
    ("ga4", "first_name"): hashed_by(ga4.hashed, lambda raw, country: ga4.name(raw)),
    ("ga4", "last_name"): hashed_by(ga4.hashed, lambda raw, country: ga4.name(raw)),
    ("ga4", "city"): clear(lambda raw, country: ga4.plain(raw, ga4.city)),
    ("ga4", "state"): clear(lambda raw, country: ga4.plain(raw, ga4.region)),
    ("ga4", "zip"): clear(lambda raw, country: ga4.plain(raw, ga4.postal_code)),
    ("ga4", "country"): clear(lambda raw, country: ga4.plain(raw, ga4.country)),
    # Google Ads click uploads: hashed email and phone only (§2B).
    ("google_ads", "email"): hashed_by(google_ads.hashed, lambda raw, country: google_ads.email(raw)),
    ("google_ads", "phone"): hashed_by(
        google_ads.hashed, lambda raw, country: google_ads.phone(raw, google_ads.region(country))
    ),
    # TikTok: email, phone, external_id, names and zip hashed; city, state, country raw (§3.2).
    ("tiktok", "email"): hashed_by(tiktok.hashed, lambda raw, country: tiktok.email(raw)),
    ("tiktok", "phone"): hashed_by(
        tiktok.hashed, lambda raw, country: tiktok.phone(raw, _tiktok_country(country))
    ),
    ("tiktok", "external_id"): hashed_by(tiktok.hashed, lambda raw, country: tiktok.external_id(raw)),
    ("tiktok", "first_name"): hashed_by(tiktok.hashed, lambda raw, country: tiktok.name(raw)),
    ("tiktok", "last_name"): hashed_by(tiktok.hashed, lambda raw, country: tiktok.name(raw)),
    ("tiktok", "zip"): hashed_by(tiktok.hashed, lambda raw, country: tiktok.zip_code(raw)),
    ("tiktok", "city"): clear(lambda raw, country: tiktok.place(raw)),
    ("tiktok", "state"): clear(lambda raw, country: tiktok.place(raw)),
    ("tiktok", "country"): clear(lambda raw, country: tiktok.country(raw)),
    # LinkedIn: SHA256_EMAIL and the raw li_fat_id (§4.3, §4.4).
    ("linkedin", "email"): Binding(
        lambda raw, country: linkedin.email(raw), lambda raw, country: linkedin.hashed_email(raw)
    ),
    ("linkedin", "li_fat_id"): clear(lambda raw, country: linkedin.li_fat_id(raw)),
    # Webhook: README "Hashing rules".
    ("webhook", "email"): hashed_by(webhook.hashed, lambda raw, country: webhook.email(raw)),
    ("webhook", "phone"): hashed_by(webhook.hashed, lambda raw, country: webhook.phone(raw, country)),
    ("webhook", "external_id"): hashed_by(webhook.hashed, lambda raw, country: webhook.external_id(raw)),
}
PLATFORMS = {platform for platform, _ in BINDINGS}


@dataclass(frozen=True, slots=True)
class Vector:
    id: str
    platform: str
    field: str
    country: str
    raw: str
    normalised: str
    sha256: str
    rule: str

    @property
    def already_hashed(self) -> bool:
        return _HEX64.fullmatch(self.raw.strip()) is not None


def load_corpus() -> tuple[list[str], list[Vector]]:
    with CORPUS.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        records = list(reader)
    counters: Counter[tuple[str, str]] = Counter()
    vectors = []
    for record in records:
        key = (record["platform"], record["field"])
        counters[key] += 1
        vectors.append(
            Vector(id=f"{key[0]}-{key[1]}-{counters[key]:03d}", **{name: record[name] for name in COLUMNS})
        )
    return header, vectors


HEADER, VECTORS = load_corpus()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_corpus_has_the_expected_columns_and_at_least_200_rows() -> None:
    assert HEADER == COLUMNS
    assert len(VECTORS) >= MIN_ROWS


def test_every_connector_is_covered_and_every_row_names_a_known_field() -> None:
    counts = Counter(vector.platform for vector in VECTORS)
    for platform in PLATFORMS:
        assert counts[platform] >= MIN_ROWS_PER_PLATFORM[platform], f"{platform}: {counts[platform]} rows"
    unknown = sorted({(v.platform, v.field) for v in VECTORS} - set(BINDINGS))
    assert not unknown, f"rows for fields with no entry in BINDINGS: {unknown}"
    untested = sorted(set(BINDINGS) - {(v.platform, v.field) for v in VECTORS})
    assert not untested, f"BINDINGS entries with no row: {untested}"


def test_every_row_cites_its_rule() -> None:
    uncited = [vector.id for vector in VECTORS if not _CITATION.search(vector.rule)]
    assert not uncited, f"rows without a platforms.md § or README citation: {uncited}"


def test_every_hashed_field_has_a_pass_through_and_a_dropped_row() -> None:
    """Each connector's ``hashed`` is checked for never hashing a digest twice and for dropping."""
    for platform in PLATFORMS:
        rows = [v for v in VECTORS if v.platform == platform and BINDINGS[v.platform, v.field].hashed]
        assert any(v.already_hashed for v in rows), f"{platform}: no already-hashed row"
        assert any(not v.normalised for v in rows), f"{platform}: no dropped row"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.id)
def test_row_is_self_consistent(vector: Vector) -> None:
    """sha256 is SHA-256 of normalised (or the passed-through digest; empty when dropped or clear)."""
    hashed_field = BINDINGS[vector.platform, vector.field].hashed is not None
    if not vector.normalised or not hashed_field:
        assert vector.sha256 == ""
    elif vector.already_hashed:
        assert vector.sha256 == vector.normalised == vector.raw.strip().lower()
    else:
        assert vector.sha256 == sha256(vector.normalised)
    if match := _DOC_DIGEST.search(vector.rule):
        assert vector.sha256.startswith(match[1]) and vector.sha256.endswith(match[2])


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.id)
def test_connector_normalises_and_hashes_like_the_rule(vector: Vector) -> None:
    binding = BINDINGS[vector.platform, vector.field]
    if binding.hashed is not None:
        assert binding.hashed(vector.raw, vector.country) == (vector.sha256 or None)
    if not vector.already_hashed or binding.hashed is None:
        assert binding.normalise(vector.raw, vector.country) == (vector.normalised or None)
