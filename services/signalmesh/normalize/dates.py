"""Dates of birth as people write them → a real calendar date. Pure.

Meta accepts "the YYYYMMDD format accommodating a range of month, day and year combinations,
with or without punctuation" and documents ``2/16/1997`` → ``19970216`` (platforms.md §1.4,
M1). So the readable forms are year first (``1997-02-16``, ``1997/2/16``, ``19970216``) and
month first, the order of Meta's example (``2/16/1997``, ``02-16-1997``, ``02161997``); parts
may be single digits when punctuation separates them. Day-first dates are never guessed:
``16/2/1997`` has no month 16 and is refused, and ``3/4/1997`` reads as March 4, as Meta reads
it. Without punctuation only the 8-digit forms are read: ``YYYYMMDD`` and ``MMDDYYYY`` cannot be
confused (a year from 1900 starts with 19 or 20, a month is at most 12).
"""

from __future__ import annotations

import re
from datetime import date

EARLIEST_BIRTH_YEAR = 1900  # Meta: db year from 1900 to the current year

_SEPARATOR = r"[-/. ]"
_YEAR_FIRST = re.compile(
    rf"(?P<year>\d{{4}})(?P<sep>{_SEPARATOR})(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}})"
)
_MONTH_FIRST = re.compile(
    rf"(?P<month>\d{{1,2}})(?P<sep>{_SEPARATOR})(?P<day>\d{{1,2}})(?P=sep)(?P<year>\d{{4}})"
)
_YEAR_FIRST_DIGITS = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")
_MONTH_FIRST_DIGITS = re.compile(r"(?P<month>\d{2})(?P<day>\d{2})(?P<year>\d{4})")
_FORMS = (_YEAR_FIRST, _MONTH_FIRST, _YEAR_FIRST_DIGITS, _MONTH_FIRST_DIGITS)


def birth_date(value: str, latest_year: int | None = None) -> date | None:
    """The date ``value`` names in one of Meta's documented forms, or None.

    A real date from 1900 on, and not after ``latest_year`` (the event's year: nobody is born
    after it) when given.
    """
    text = value.strip()
    for form in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        year, month, day = (int(match[part]) for part in ("year", "month", "day"))
        try:
            born = date(year, month, day)
        except ValueError:
            continue
        if year < EARLIEST_BIRTH_YEAR or (latest_year is not None and year > latest_year):
            return None
        return born
    return None
