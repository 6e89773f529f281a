"""Phone numbers → E.164, the one canonical form every platform's phone string derives from
(Meta: digits without '+'; Google and TikTok: with '+')."""

from __future__ import annotations

import functools

import phonenumbers

from signalmesh.normalize.text import digits_only


@functools.lru_cache(maxsize=65_536)
def to_e164(raw: str, default_region: str | None = None) -> str | None:
    """``+16505551212`` for any way of writing that number, or None when it is not a possible
    number. ``default_region`` (ISO alpha-2, usually the event's country) supplies the country
    code of a national number such as ``(650) 555-1212``; it is never guessed."""
    text = raw.strip()
    number = _possible(text, default_region.upper() if default_region else None)
    if number is None and not text.startswith("+") and not default_region:
        # Digits that may already start with a country code ("16505551212", "0044 20 …"): read
        # them as international, but only trust a number that is valid, not merely possible.
        international = digits_only(text).lstrip("0")
        candidate = _possible("+" + international, None) if international else None
        number = candidate if candidate is not None and phonenumbers.is_valid_number(candidate) else None
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _possible(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # A local-only number (7-digit US "555-1212") lacks its area code: it would match nobody.
    reason = phonenumbers.is_possible_number_with_reason(number)
    return number if reason == phonenumbers.ValidationResult.IS_POSSIBLE else None
