"""The personal identifiers of ``user_data`` no platform could use, and the event without them.
Pure.

Every identifier is optional for every platform (each platform's minimum is "at least one of
several", decided per destination by policy), so the validator reports an unusable one as a
warning and the gateway sends the event on without it (``without_identifiers``); only where
the business's tracking plan needs the field (``needed_by_plan``) does it stay an error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from signalmesh.config.model import TrackingRule
from signalmesh.gateway.field_limits import cut
from signalmesh.gateway.ip_check import is_ip_address
from signalmesh.gateway.tracking_plan import is_present
from signalmesh.normalize import geography
from signalmesh.normalize.dates import birth_date
from signalmesh.normalize.phones import to_e164
from signalmesh.normalize.text import is_sha256_hex
from signalmesh.v1 import event_pb2

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_GENDERS = frozenset({"m", "f", "male", "female"})


def unusable_identifiers(user_data: event_pb2.UserData, latest_year: int) -> Iterator[tuple[str, str, str]]:
    """(path, rule code, description) of every identifier no platform could use."""
    # Each field read once: a protobuf read builds a new str.
    country_text = user_data.country
    country = geography.country_code(country_text) if country_text else None
    if country_text and not is_sha256_hex(country_text) and country is None:
        yield (
            "user_data.country",
            "country.iso3166",
            f"{cut(country_text)} is not a country: send an ISO 3166-1 alpha-2 code, e.g. US",
        )
    for index, email in enumerate(user_data.emails):
        if not is_sha256_hex(email) and not EMAIL.fullmatch(email.strip()):
            yield (
                f"user_data.emails[{index}]",
                "email.format",
                "is not an email address (name@domain.tld) or a SHA-256 hex hash",
            )
    for index, phone in enumerate(user_data.phones):
        if is_sha256_hex(phone) or to_e164(phone, country):
            continue
        hint = (
            ""
            if country or phone.strip().startswith("+")
            else " (no country code, and user_data.country is not set)"
        )
        yield (
            f"user_data.phones[{index}]",
            "phone.format",
            f"is not a phone number we can read{hint}: "
            "send E.164 such as +16505551212, or set user_data.country",
        )
    address = user_data.client_ip_address
    if address and not is_ip_address(address.strip()):
        yield ("user_data.client_ip_address", "ip.format", "is not an IPv4 or IPv6 address")
    gender = user_data.gender
    if gender and gender.strip().lower() not in _GENDERS and not is_sha256_hex(gender):
        yield ("user_data.gender", "gender.value", 'must be "m" or "f"')
    born = user_data.date_of_birth
    if born and not is_sha256_hex(born) and birth_date(born, latest_year) is None:
        yield (
            "user_data.date_of_birth",
            "date_of_birth.format",
            "must be a real date from 1900 on: YYYY-MM-DD (1997-02-16), or month first as Meta "
            "documents (2/16/1997, 02161997); day-first dates are never guessed",
        )


def list_path(path: str) -> str:
    """``user_data.emails[0]`` → ``user_data.emails``: the path a tracking plan names."""
    return path.partition("[")[0]


def needed_by_plan(usable: event_pb2.ConversionEvent, rule: TrackingRule) -> set[str]:
    """The tracking plan's paths that the event, once its unusable identifiers are dropped, no
    longer satisfies: dropping there would turn a valid conversion into an invalid one."""
    needed = {path for path in rule.required if not is_present(usable, path)}
    if rule.required_one_of and not any(is_present(usable, path) for path in rule.required_one_of):
        needed.update(rule.required_one_of)
    return needed


def without_identifiers(
    event: event_pb2.ConversionEvent, paths: Collection[str]
) -> event_pb2.ConversionEvent:
    """A copy of ``event`` without the ``user_data`` identifiers at ``paths`` (``Report.dropped``);
    ``event`` itself when there are none."""
    if not paths:
        return event
    # A set, so dropping n of n identifiers is linear (``in`` on a list made it quadratic).
    paths = frozenset(paths)
    copy = event_pb2.ConversionEvent()
    copy.CopyFrom(event)
    user_data = copy.user_data
    for name in ("emails", "phones"):
        kept = [
            value
            for index, value in enumerate(getattr(user_data, name))
            if f"user_data.{name}[{index}]" not in paths
        ]
        del getattr(user_data, name)[:]
        getattr(user_data, name).extend(kept)
    for name in ("country", "client_ip_address", "gender", "date_of_birth"):
        if f"user_data.{name}" in paths:
            user_data.ClearField(name)
    return copy
