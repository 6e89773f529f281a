"""Phone numbers → E.164, the one canonical form every platform's phone string derives from
(Meta: digits without '+'; Google and TikTok: with '+')."""

from __future__ import annotations

import re

import phonenumbers

from signalmesh.normalize.text import digits_only

# ITU-T's recommended international call prefix, used in most of the world: "0044 20 …" is
# "+44 20 …". No country's national numbers start with 00 (checked against phonenumbers'
# metadata for every region). Meta: remove leading zeros, always include the country code
# ("0044 20 7183 8750" → 442071838750, platforms.md §1.4/§1.5); Google and TikTok: E.164 (§2C,
# §3.2). Regions with another prefix (US 011, JP 010, AU 0011) would otherwise read "00…" as a
# national number: invalid (+81 0044…) or not a number at all.
_INTERNATIONAL_PREFIX = "00"

# A North American number already in E.164: +1, an area code (never 0 or 1), seven digits.
# phonenumbers ignores the region for a "+" number, finds country code 1, strips no national
# prefix (the national number cannot start with 1) and calls every 10-digit NANP number
# possible, so it returns exactly this text (tests/unit/normalize/test_phones.py checks that
# on a corpus). The commonest form clients send skips a ~20 µs parse.
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def to_e164(raw: str, default_region: str | None = None) -> str | None:
    """``+16505551212`` for any way of writing that number, or None when it is not a possible
    number. ``default_region`` (ISO alpha-2, usually the event's country) supplies the country
    code of a national number such as ``(650) 555-1212``; it is never guessed. A number written
    with the international prefix ``00`` is international whatever the region.

    Not cached: a cache would keep raw phone numbers across events."""
    text = raw.strip()
    if _NANP_E164.fullmatch(text):
        return text
    region = default_region.upper() if default_region else None
    number = _possible(text, region)
    if not text.startswith("+") and digits_only(text).startswith(_INTERNATIONAL_PREFIX):
        number = _international(text, number)
    elif number is None and not text.startswith("+") and not default_region:
        # Digits that may already start with a country code ("16505551212"): read them as
        # international, but only trust a number that is valid, not merely possible.
        international = digits_only(text).lstrip("0")
        candidate = _possible("+" + international, None) if international else None
        number = candidate if candidate is not None and phonenumbers.is_valid_number(candidate) else None
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _international(text: str, regional: phonenumbers.PhoneNumber | None) -> phonenumbers.PhoneNumber | None:
    """``text`` (starting 00) as an international number. The region's own reading stands when
    it dialled through one of the region's international prefixes to a valid number (Australia's
    0011, Korea's 001); otherwise ``00`` is the international prefix."""
    if (
        regional is not None
        and regional.country_code_source == phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD
        and phonenumbers.is_valid_number(regional)
    ):
        return regional
    return _possible("+" + digits_only(text)[len(_INTERNATIONAL_PREFIX) :], None)


def _possible(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        # keep_raw_input: country_code_source tells a number dialled through the region's prefix.
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None
    # A local-only number (7-digit US "555-1212") lacks its area code: it would match nobody.
    reason = phonenumbers.is_possible_number_with_reason(number)
    return number if reason == phonenumbers.ValidationResult.IS_POSSIBLE else None
