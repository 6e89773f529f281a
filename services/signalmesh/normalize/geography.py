"""Place-name tables the normalisers look values up in: US states and ISO 3166-1 countries.

Clients send what their forms collected ("California", "United States", "Deutschland");
platforms want codes. The tables are data with no platform rule attached, shared by the
gateway's validator and every connector.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from types import MappingProxyType

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

from signalmesh.normalize.text import folded_key

# USPS / ANSI (FIPS 5-2) two-letter codes for the states, DC and the inhabited territories.
# fmt: off
US_STATE_CODES: MappingProxyType[str, str] = MappingProxyType({
    folded_key(name): code
    for name, code in (
        ("Alabama", "al"), ("Alaska", "ak"), ("Arizona", "az"), ("Arkansas", "ar"),
        ("California", "ca"), ("Colorado", "co"), ("Connecticut", "ct"), ("Delaware", "de"),
        ("District of Columbia", "dc"), ("Florida", "fl"), ("Georgia", "ga"), ("Hawaii", "hi"),
        ("Idaho", "id"), ("Illinois", "il"), ("Indiana", "in"), ("Iowa", "ia"), ("Kansas", "ks"),
        ("Kentucky", "ky"), ("Louisiana", "la"), ("Maine", "me"), ("Maryland", "md"),
        ("Massachusetts", "ma"), ("Michigan", "mi"), ("Minnesota", "mn"), ("Mississippi", "ms"),
        ("Missouri", "mo"), ("Montana", "mt"), ("Nebraska", "ne"), ("Nevada", "nv"),
        ("New Hampshire", "nh"), ("New Jersey", "nj"), ("New Mexico", "nm"), ("New York", "ny"),
        ("North Carolina", "nc"), ("North Dakota", "nd"), ("Ohio", "oh"), ("Oklahoma", "ok"),
        ("Oregon", "or"), ("Pennsylvania", "pa"), ("Rhode Island", "ri"),
        ("South Carolina", "sc"), ("South Dakota", "sd"), ("Tennessee", "tn"), ("Texas", "tx"),
        ("Utah", "ut"), ("Vermont", "vt"), ("Virginia", "va"), ("Washington", "wa"),
        ("West Virginia", "wv"), ("Wisconsin", "wi"), ("Wyoming", "wy"),
        ("American Samoa", "as"), ("Guam", "gu"), ("Northern Mariana Islands", "mp"),
        ("Puerto Rico", "pr"), ("U.S. Virgin Islands", "vi"), ("Virgin Islands", "vi"),
        ("Washington DC", "dc"), ("Washington D.C.", "dc"),
    )
})

# Names and codes people write that are not the ISO alpha-2 code or a CLDR country name.
_COUNTRY_ALIASES: MappingProxyType[str, str] = MappingProxyType({
    # "UK" is not ISO 3166-1 (GB is), yet it is what most forms collect.
    "uk": "gb", "greatbritain": "gb", "britain": "gb", "england": "gb", "scotland": "gb",
    "wales": "gb", "northernireland": "gb", "unitedkingdomofgreatbritainandnorthernireland": "gb",
    "usa": "us", "us": "us", "unitedstatesofamerica": "us", "america": "us",
    "holland": "nl", "southkorea": "kr", "korea": "kr", "russia": "ru", "uae": "ae",
    "czechia": "cz", "turkiye": "tr", "ivorycoast": "ci",
    # Common ISO alpha-3 codes.
    "gbr": "gb", "can": "ca", "aus": "au", "deu": "de", "fra": "fr", "esp": "es", "ita": "it",
    "nld": "nl", "bel": "be", "che": "ch", "aut": "at", "swe": "se", "nor": "no", "dnk": "dk",
    "fin": "fi", "irl": "ie", "prt": "pt", "pol": "pl", "bra": "br", "mex": "mx", "arg": "ar",
    "ind": "in", "jpn": "jp", "chn": "cn", "kor": "kr", "sgp": "sg", "nzl": "nz", "zaf": "za",
    "are": "ae", "isr": "il", "tur": "tr",
})
# fmt: on

# Reserved or withdrawn codes phonenumbers still knows, which are not current ISO 3166-1 alpha-2.
_NOT_ISO_ALPHA_2 = frozenset({"AC", "TA", "AN"})


@cache
def _country_tables() -> tuple[frozenset[str], dict[str, str]]:
    """ISO alpha-2 codes, and every CLDR country name (all languages phonenumbers ships) → code.

    The names come from phonenumbers' CLDR locale data; no name in it maps to two countries,
    so the reverse table is unambiguous.
    """
    codes = (set(LOCALE_DATA) | set(phonenumbers.SUPPORTED_REGIONS)) - _NOT_ISO_ALPHA_2
    names: dict[str, str] = {}
    for region, by_language in LOCALE_DATA.items():
        if region in _NOT_ISO_ALPHA_2:
            continue
        for name in by_language.values():
            if name.startswith("*"):  # "*xx": the name is stored under language xx
                name = by_language.get(name[1:], "")
            if key := folded_key(name):
                names.setdefault(key, region.lower())
    return frozenset(code.lower() for code in codes), names


# Pure and called for every event (validation, then each connector): a handful of distinct
# values per customer base, so a small cache saves the Unicode folding each time.
@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """Lower-case ISO 3166-1 alpha-2 code for a code or name, or None when unknown.

    ``US``, ``u.s.``, ``USA``, ``United States``, ``Deutschland`` and ``UK`` all resolve.
    """
    key = folded_key(value)
    if not key:
        return None
    codes, names = _country_tables()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(key) == 2:
        return key if key in codes else None
    return names.get(key)


# ISO 3166-2 writes a subdivision as country, hyphen, code: "US-CA" (what address APIs and
# many forms return). Its part after "US-" is the USPS/ANSI code platforms want (Meta st, §1.4).
_ISO_3166_2_US = re.compile(r"us\s*-\s*([a-z]{2})")


@lru_cache(maxsize=4096)
def us_state_code(value: str) -> str | None:
    """Lower-case two-letter code for a US state name or code (``California``, ``CA``, or the
    ISO 3166-2 ``US-CA``), or None when it is none of them."""
    if (iso := _ISO_3166_2_US.fullmatch(value.strip().lower())) is not None:
        value = iso.group(1)
    key = folded_key(value)
    if len(key) == 2 and key in US_STATE_CODES.values():
        return key
    return US_STATE_CODES.get(key)
