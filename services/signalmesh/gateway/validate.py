"""Field-by-field validation of a ConversionEvent at the edge. Pure: violations are values.

Every problem of an event is reported at once, each with the field's path in the proto
(``user_data.emails[0]``), a stable rule code and a description that says the rule and the fix.
Nothing here changes data: no default currency, no server time for a missing event_time.

Errors and warnings. What makes the event itself unusable is an error and rejects it: its id,
name, time, action source, page URL, money, and the destinations it names. The personal
identifiers in ``user_data`` (emails, phones, IP address, gender, date of birth, country) are
**optional** for every platform — each platform's minimum is "at least one of several", which
policy decides per destination as a skip — so an unusable one costs only itself: a warning
naming the field and the destinations the event goes to without it, and its path in
``Report.dropped`` (``without_identifiers`` removes them before any connector sees the event).
An identifier is **required** only where the business's tracking plan makes it so
(``required``, or the last usable path of ``required_one_of``): there it stays an error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from signalmesh.connector.protocol import problems_of
from signalmesh.gateway.field_limits import cut, limit_problems
from signalmesh.gateway.identifiers import (
    list_path,
    needed_by_plan,
    unusable_identifiers,
    without_identifiers,
)
from signalmesh.gateway.ip_check import is_private_or_loopback
from signalmesh.gateway.tracking_plan import TrackingRule
from signalmesh.gateway.tracking_plan import check as tracking_plan_check
from signalmesh.monitoring.formatting import duration
from signalmesh.normalize import geography
from signalmesh.normalize.currencies import is_active_currency, minor_units
from signalmesh.normalize.text import is_sha256_hex
from signalmesh.v1 import event_pb2

MAX_FUTURE_SKEW_SECONDS = 600
_EVENT_ID = re.compile(r"[\x21-\x7e]{1,256}")
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
# ASCII digits only, around ASCII spaces only: float() and Decimal() take exactly these.
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ASCII_SPACE = " \t\n\r"
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
    # Paths of optional identifiers too malformed to send (``user_data.phones[1]``): the event
    # is accepted and goes on without them.
    dropped: list[str] = field(default_factory=list)

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
    stale_after_seconds: float | None = None,
) -> Report:
    """All violations and warnings of ``event``; ``destinations`` are the configured names,
    ``tracking_plan`` the business's own rules per event name and ``connectors`` the installed
    connectors, whose ``check_event`` rules apply to every event. With ``stale_after_seconds``,
    an event older than that when it arrives is warned about (``event_time.stale``)."""
    report = Report()
    for path, reason, description in limit_problems(event, now):
        report.error(path, reason, description)
    if not report.ok:
        # Over a limit, the other rules (and their cost) are not run: the limits say what to fix.
        return report
    rule = (tracking_plan or {}).get(event.event_name)
    _identity(event, report)
    _timing(event, now, report, stale_after_seconds)
    _source(event, report)
    _money(event, report)
    _identifiers(event, now, report, destinations, rule)
    _connector_checks(event, connectors, report)
    for index, name in enumerate(event.destinations):
        if name not in destinations:
            known = ", ".join(sorted(destinations))
            report.error(
                f"destinations[{index}]",
                "destination.unknown",
                f"{cut(name)} is not a configured destination; use one of: {known}",
            )
    if rule is not None:
        # A field the built-in rules already flagged needs no second message saying it is required.
        flagged = {violation.field for violation in report.violations}
        for path, reason, description in tracking_plan_check(event, rule):
            if path not in flagged:
                report.error(path, reason, description)
    return report


def _routed(event: event_pb2.ConversionEvent, destinations: Collection[str]) -> list[str]:
    """The destinations the event would go to (as ``prepare.route``): those it names, or all."""
    if event.destinations:
        return [name for name in dict.fromkeys(event.destinations) if name in destinations]
    return list(destinations)


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
            f"{cut(event.event_name)} is not a valid name: "
            "start with a letter; letters, digits and '_' only; at most 40 characters",
        )


def _timing(
    event: event_pb2.ConversionEvent, now: float, report: Report, stale_after_seconds: float | None
) -> None:
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
    delay = now - seconds
    if stale_after_seconds is not None and delay > stale_after_seconds:
        # The practice's feedback loop: events should reach the platform within seconds; a
        # delay past an hour (``[quality] stale_after``) means a queue or batch job holds them.
        report.warn(
            "event_time",
            "event_time.stale",
            f"arrived {duration(delay)} after the event happened (more than "
            f"{duration(stale_after_seconds)}): platforms want events within seconds, and "
            "attribute and optimise less on late ones; send each event as it happens",
        )


def _source(event: event_pb2.ConversionEvent, report: Report) -> None:
    if event.action_source == event_pb2.ACTION_SOURCE_UNSPECIFIED:
        report.error(
            "action_source",
            "action_source.required",
            "required: where the conversion happened, e.g. ACTION_SOURCE_WEBSITE",
        )
    if event.event_source_url:
        if not _is_page_url(event.event_source_url):
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


def _is_page_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[": urlsplit refuses a malformed IPv6 host (found by the fuzz target)
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _money(event: event_pb2.ConversionEvent, report: Report) -> None:
    # Each field read once (a protobuf read builds a new str) and each decimal checked once.
    value, sent_currency = event.value, event.currency
    currency = sent_currency.strip().upper()
    active = is_active_currency(currency)
    if sent_currency and not active:
        report.error(
            "currency",
            "currency.iso4217",
            f"{cut(sent_currency)} is not an active ISO 4217 code; send e.g. USD, EUR, JPY",
        )
    problem = decimal_problem(value) if value else None
    if value:
        if problem:
            report.error("value", "value.decimal", problem)
        elif not sent_currency:
            report.error(
                "value",
                "value.currency_required",
                f"value {cut(value)} needs a currency: add currency, e.g. USD (none is assumed)",
            )
        elif active:
            _check_minor_units("value", value, currency, report)
    if event.event_name == "Purchase":
        if value and not problem and float(value) == 0:
            report.warn(
                "value",
                "value.zero",
                "is 0 on a Purchase: value-based bidding learns nothing from it; send the order total",
            )
        elif not value:
            report.error(
                "value",
                "value.required",
                'required for Purchase: the amount as a decimal string, e.g. "29.99", with currency',
            )
        if not sent_currency:
            report.error("currency", "currency.required", "required for Purchase: an ISO 4217 code, e.g. USD")
    for index, content in enumerate(event.contents):
        price = content.item_price
        if price:
            problem = decimal_problem(price)
            if problem:
                report.error(f"contents[{index}].item_price", "value.decimal", problem)


def decimal_problem(text: str) -> str | None:
    """Why ``text`` is not an exact non-negative decimal, with the corrected form; None if it is."""
    stripped = text.strip(_ASCII_SPACE)
    if _DECIMAL.fullmatch(stripped):
        return None
    if stripped.lower() in ("nan", "inf", "-inf", "infinity"):
        return f"{cut(text)} is not a number: send the amount as a decimal string such as 29.99"
    if stripped.startswith("-"):
        return (
            f"{cut(text)} is negative: conversion values must be 0 or more (send refunds as their own event)"
        )
    cleaned = re.sub(r"[^\d.,eE+-]", "", stripped)
    if "," in cleaned and "." not in cleaned and re.fullmatch(r"\d+,\d{1,3}", cleaned):
        return f"{cut(text)} uses a decimal comma: send {cleaned.replace(',', '.')}"
    if re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", cleaned):
        try:
            expanded = format(float(cleaned), "f").rstrip("0").rstrip(".")
        except ValueError:
            expanded = "a plain decimal"
        return f"{cut(text)} uses exponent notation: send {expanded}"
    if cleaned and _DECIMAL.fullmatch(cleaned.replace(",", "")):
        return (
            f"{cut(text)} is not a decimal number: "
            f"send {cleaned.replace(',', '')} and the currency code in currency"
        )
    return f"{cut(text)} is not a decimal number: send digits with an optional '.' fraction, e.g. 29.99"


def _check_minor_units(path: str, value: str, currency: str, report: Report) -> None:
    fraction = value.strip().partition(".")[2]
    allowed = minor_units(currency)
    if len(fraction.rstrip("0")) > allowed:
        report.error(
            path,
            "value.minor_units",
            f"{cut(value)} has more decimals than {currency} allows ({allowed}); "
            f"round to {allowed} decimal place(s)",
        )


def _identifiers(
    event: event_pb2.ConversionEvent,
    now: float,
    report: Report,
    destinations: Collection[str],
    rule: TrackingRule | None,
) -> None:
    """Each unusable ``user_data`` identifier: an error where the tracking plan needs it, else a
    warning naming the destinations it is dropped for (see the module docstring)."""
    user_data = event.user_data
    problems = list(unusable_identifiers(user_data, time.gmtime(now).tm_year))
    unusable = {path for path, _, _ in problems}
    if problems:
        needed = needed_by_plan(without_identifiers(event, unusable), rule) if rule else set()
        routed = _routed(event, destinations)  # named only in these warnings
        going_to = ", ".join(routed) if routed else "its destinations"
        for path, reason, description in problems:
            if list_path(path) in needed:
                report.error(path, reason, f"{description} (the tracking plan requires it)")
            else:
                report.warn(path, reason, f"{description}; not sent: the event goes to {going_to} without it")
                report.dropped.append(path)
    state = user_data.state
    if (
        state
        and user_data.country
        and geography.country_code(user_data.country) == "us"
        and not is_sha256_hex(state)
        and geography.us_state_code(state) is None
    ):
        report.warn(
            "user_data.state",
            "state.unknown",
            "is not a US state name or code: platforms will not match it",
        )
    if (
        user_data.client_ip_address
        and "user_data.client_ip_address" not in unusable
        and is_private_or_loopback(user_data.client_ip_address.strip())
    ):
        report.warn(
            "user_data.client_ip_address",
            "ip.private",
            "is a private, loopback or reserved (documentation) address: "
            "platforms cannot match it to a person; send the client's public IP",
        )


def _connector_checks(event: event_pb2.ConversionEvent, connectors: Sequence[object], report: Report) -> None:
    """Each connector's own format rules (Meta's fbc cookie, Google's one click id), reported
    beside the core's: platform knowledge stays in the connector (``Connector.check_event``).
    ``problems_of`` finds the checks without typing's runtime-protocol machinery, which cost
    more than all the checks together, per connector and per event."""
    for connector in connectors:
        problems = problems_of(connector, event)
        for problem in problems:
            note = report.warn if problem.warning else report.error
            note(problem.field, problem.reason, problem.description)
