"""Field-by-field validation of a ConversionEvent at the edge. Pure: violations are values.

Every problem of an event is reported at once, each with the field's path in the proto
(``user_data.emails[0]``), a stable rule code and a description that says the rule and the fix.
Nothing here changes data: no default currency, no server time for a missing event_time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from signalmesh.connector import problems_of
from signalmesh.gateway.tracking_plan import TrackingRule
from signalmesh.gateway.tracking_plan import check as tracking_plan_check
from signalmesh.normalize import geography
from signalmesh.normalize.currencies import is_active_currency, minor_units
from signalmesh.normalize.phones import to_e164
from signalmesh.normalize.text import is_sha256_hex
from signalmesh.v1 import event_pb2

MAX_FUTURE_SKEW_SECONDS = 600
_EVENT_ID = re.compile(r"[\x21-\x7e]{1,256}")
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
STANDARD_EVENT_NAMES = frozenset(
    {
        "Purchase",
        "Lead",
        "CompleteRegistration",
        "AddToCart",
        "InitiateCheckout",
        "Subscribe",
        "Contact",
        "SubmitApplication",
        "ViewContent",
        "AddPaymentInfo",
        "Search",
        "AddToWishlist",
        "Schedule",
        "StartTrial",
        "CustomizeProduct",
        "Donate",
        "FindLocation",
        "PageView",
    }
)


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    reason: str
    description: str


@dataclass(slots=True)
class Report:
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def error(self, path: str, reason: str, description: str) -> None:
        self.violations.append(Violation(path, reason, description))

    def warn(self, path: str, reason: str, description: str) -> None:
        self.warnings.append(Violation(path, reason, description))


def validate_event(
    event: event_pb2.ConversionEvent,
    now: float,
    destinations: Collection[str],
    tracking_plan: Mapping[str, TrackingRule] | None = None,
    connectors: Sequence[object] = (),
) -> Report:
    """All violations and warnings of ``event``; ``destinations`` are the configured names,
    ``tracking_plan`` the business's own rules per event name and ``connectors`` the installed
    connectors, whose ``check_event`` rules apply to every event."""
    report = Report()
    _identity(event, report)
    _timing(event, now, report)
    _source(event, report)
    _money(event, report)
    _user_data(event.user_data, report)
    _connector_checks(event, connectors, report)
    for index, name in enumerate(event.destinations):
        if name not in destinations:
            known = ", ".join(sorted(destinations))
            report.error(
                f"destinations[{index}]",
                "destination.unknown",
                f"{name!r} is not a configured destination; use one of: {known}",
            )
    rule = (tracking_plan or {}).get(event.event_name)
    if rule is not None:
        # A field the built-in rules already flagged needs no second message saying it is required.
        flagged = {violation.field for violation in report.violations}
        for path, reason, description in tracking_plan_check(event, rule):
            if path not in flagged:
                report.error(path, reason, description)
    return report


def _identity(event: event_pb2.ConversionEvent, report: Report) -> None:
    if not event.event_id:
        report.error(
            "event_id",
            "event_id.required",
            "required: send the id your browser pixel uses, so platforms can deduplicate",
        )
    elif not _EVENT_ID.fullmatch(event.event_id):
        report.error(
            "event_id",
            "event_id.format",
            "must be 1–256 printable ASCII characters without spaces (e.g. an order id or UUID)",
        )
    if not event.event_name:
        report.error(
            "event_name",
            "event_name.required",
            "required: a standard name such as Purchase or Lead, or a custom name",
        )
    elif not _EVENT_NAME.fullmatch(event.event_name):
        report.error(
            "event_name",
            "event_name.format",
            f"{event.event_name!r} is not a valid name: "
            "start with a letter; letters, digits and '_' only; at most 40 characters",
        )


def _timing(event: event_pb2.ConversionEvent, now: float, report: Report) -> None:
    if not event.HasField("event_time"):
        report.error(
            "event_time",
            "event_time.required",
            "required: when the conversion happened (the server's time is never substituted)",
        )
        return
    seconds = event.event_time.seconds + event.event_time.nanos / 1e9
    if seconds - now > MAX_FUTURE_SKEW_SECONDS:
        report.error(
            "event_time",
            "event_time.future",
            f"is {int(seconds - now)} s in the future; "
            f"at most {MAX_FUTURE_SKEW_SECONDS} s of clock skew is allowed",
        )


def _source(event: event_pb2.ConversionEvent, report: Report) -> None:
    if event.action_source == event_pb2.ACTION_SOURCE_UNSPECIFIED:
        report.error(
            "action_source",
            "action_source.required",
            "required: where the conversion happened, e.g. ACTION_SOURCE_WEBSITE",
        )
    if event.event_source_url:
        parts = urlsplit(event.event_source_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            report.error(
                "event_source_url",
                "event_source_url.format",
                "must be an absolute http(s) URL of the page where the event happened",
            )
    elif event.action_source == event_pb2.ACTION_SOURCE_WEBSITE:
        report.error(
            "event_source_url",
            "event_source_url.required",
            "required for website events: the page URL where the conversion happened",
        )


def _money(event: event_pb2.ConversionEvent, report: Report) -> None:
    currency = event.currency.strip().upper()
    if event.currency and not is_active_currency(currency):
        report.error(
            "currency",
            "currency.iso4217",
            f"{event.currency!r} is not an active ISO 4217 code; send e.g. USD, EUR, JPY",
        )
    if event.value:
        problem = decimal_problem(event.value)
        if problem:
            report.error("value", "value.decimal", problem)
        elif not event.currency:
            report.error(
                "value",
                "value.currency_required",
                f"value {event.value} needs a currency: add currency, e.g. USD (none is assumed)",
            )
        elif is_active_currency(currency):
            _check_minor_units("value", event.value, currency, report)
    if (
        event.event_name == "Purchase"
        and event.value
        and not decimal_problem(event.value)
        and float(event.value) == 0
    ):
        report.warn(
            "value",
            "value.zero",
            "is 0 on a Purchase: value-based bidding learns nothing from it; send the order total",
        )
    elif event.event_name == "Purchase" and not event.value:
        report.error(
            "value",
            "value.required",
            'required for Purchase: the amount as a decimal string, e.g. "29.99", with currency',
        )
    if event.event_name == "Purchase" and not event.currency:
        report.error("currency", "currency.required", "required for Purchase: an ISO 4217 code, e.g. USD")
    for index, content in enumerate(event.contents):
        if content.item_price:
            problem = decimal_problem(content.item_price)
            if problem:
                report.error(f"contents[{index}].item_price", "value.decimal", problem)


def decimal_problem(text: str) -> str | None:
    """Why ``text`` is not an exact non-negative decimal, with the corrected form; None if it is."""
    stripped = text.strip()
    if _DECIMAL.fullmatch(stripped):
        return None
    if stripped.lower() in ("nan", "inf", "-inf", "infinity"):
        return f"{text!r} is not a number: send the amount as a decimal string such as 29.99"
    if stripped.startswith("-"):
        return f"{text!r} is negative: conversion values must be 0 or more (send refunds as their own event)"
    cleaned = re.sub(r"[^\d.,eE+-]", "", stripped)
    if "," in cleaned and "." not in cleaned and re.fullmatch(r"\d+,\d{1,3}", cleaned):
        return f"{text!r} uses a decimal comma: send {cleaned.replace(',', '.')}"
    if re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", cleaned):
        try:
            expanded = format(float(cleaned), "f").rstrip("0").rstrip(".")
        except ValueError:
            expanded = "a plain decimal"
        return f"{text!r} uses exponent notation: send {expanded}"
    if cleaned and _DECIMAL.fullmatch(cleaned.replace(",", "")):
        return (
            f"{text!r} is not a decimal number: "
            f"send {cleaned.replace(',', '')} and the currency code in currency"
        )
    return f"{text!r} is not a decimal number: send digits with an optional '.' fraction, e.g. 29.99"


def _check_minor_units(path: str, value: str, currency: str, report: Report) -> None:
    fraction = value.strip().partition(".")[2]
    allowed = minor_units(currency)
    if len(fraction.rstrip("0")) > allowed:
        report.error(
            path,
            "value.minor_units",
            f"{value} has more decimals than {currency} allows ({allowed}); "
            f"round to {allowed} decimal place(s)",
        )


def _user_data(user_data: event_pb2.UserData, report: Report) -> None:
    country = geography.country_code(user_data.country) if user_data.country else None
    if user_data.country and not is_sha256_hex(user_data.country) and country is None:
        report.error(
            "user_data.country",
            "country.iso3166",
            f"{user_data.country!r} is not a country: send an ISO 3166-1 alpha-2 code, e.g. US",
        )
    for index, email in enumerate(user_data.emails):
        if not is_sha256_hex(email) and not _EMAIL.fullmatch(email.strip()):
            report.error(
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
        report.error(
            f"user_data.phones[{index}]",
            "phone.format",
            f"is not a phone number we can read{hint}: "
            "send E.164 such as +16505551212, or set user_data.country",
        )
    if (
        user_data.state
        and (country in (None, "us"))
        and not is_sha256_hex(user_data.state)
        and geography.us_state_code(user_data.state) is None
        and country == "us"
    ):
        report.warn(
            "user_data.state",
            "state.unknown",
            "is not a US state name or code: platforms will not match it",
        )
    if user_data.client_ip_address:
        try:
            address = ipaddress.ip_address(user_data.client_ip_address.strip())
        except ValueError:
            report.error("user_data.client_ip_address", "ip.format", "is not an IPv4 or IPv6 address")
        else:
            if address.is_private or address.is_loopback:
                report.warn(
                    "user_data.client_ip_address",
                    "ip.private",
                    "is a private, loopback or reserved (documentation) address: "
                    "platforms cannot match it to a person; send the client's public IP",
                )
    if (
        user_data.gender
        and user_data.gender.strip().lower() not in ("m", "f", "male", "female")
        and not is_sha256_hex(user_data.gender)
    ):
        report.error("user_data.gender", "gender.value", 'must be "m" or "f"')
    if user_data.date_of_birth and not is_sha256_hex(user_data.date_of_birth):
        try:
            born = date.fromisoformat(user_data.date_of_birth.strip())
        except ValueError:
            born = None
        if born is None or not 1900 <= born.year <= date.today().year:
            report.error(
                "user_data.date_of_birth",
                "date_of_birth.format",
                "must be a real date YYYY-MM-DD after 1900, e.g. 1997-02-16",
            )


def _connector_checks(event: event_pb2.ConversionEvent, connectors: Sequence[object], report: Report) -> None:
    """Each connector's own format rules (Meta's fbc cookie, Google's one click id), reported
    beside the core's: platform knowledge stays in the connector (``Connector.check_event``)."""
    for connector in connectors:
        for problem in problems_of(connector, event):
            note = report.warn if problem.warning else report.error
            note(problem.field, problem.reason, problem.description)
