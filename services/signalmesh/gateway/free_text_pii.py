"""Email addresses and phone numbers where no personal data belongs: free-form event fields.

``user_data`` is hashed before anything is stored; the free-form fields (the page URL, order id,
content ids and names, ``custom_properties``, the event id) are sent as they are, so an email
in them would reach the outbox and the platform in clear (Meta flags, and can block, such
events). Pure: :func:`scan_event` returns what to refuse, what to warn about and the page URL
to send instead; it never returns or describes the personal value itself.

``[privacy] free_text_pii``:

- ``"strip"`` (default): a query or fragment parameter of ``event_source_url`` holding such a
  value is removed (a warning names the parameter); everything else is refused, because those
  fields are the business's own data (an order id, a property) and changing them silently
  would send something the client did not mean.
- ``"reject"``: every occurrence is refused, the URL's too.

False positives cost a real event, so detection is narrow: an email is ``local@domain.tld``
(also percent-encoded); a phone number is either written internationally (``+`` or ``00``,
checked with ``phonenumbers``) or grouped like a phone (``(415) 555-2671``, ``415 555 2671``)
with 10 to 11 digits and valid as a North American number. Ids, prices, dates and timestamps
(digits alone or dotted) are never phone numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import attrgetter
from urllib.parse import unquote, urlsplit, urlunsplit

import phonenumbers
from google.protobuf import struct_pb2

from signalmesh.v1 import event_pb2

STRIP, REJECT = "strip", "reject"
MODES = (STRIP, REJECT)
REASON = "free_text.personal_data"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A run of digits with phone-like separators, optionally after + or 00.
_PHONE_CANDIDATE = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d[\d ()\-./]{6,22}\d(?![\w.])")
_NATIONAL_GROUPED = re.compile(r"\(?\d{3}\)?[ -]\d{3}[ -]\d{4}|1[ -]\(?\d{3}\)?[ -]\d{3}[ -]\d{4}")


def personal_data_kind(text: str) -> str | None:
    """``"an email address"``, ``"a phone number"`` or None: what ``text`` contains.

    Run on several fields of every event, nearly all holding neither: what no match can lack
    is checked first (an email's ``@``; a phone's 8 digits, counted for ASCII text), so most
    texts never reach the patterns.
    """
    decoded = unquote(text) if "%" in text else text
    if "@" in decoded and _EMAIL.search(decoded):
        return "an email address"
    if decoded.isascii() and len(decoded) - len(decoded.translate(_NO_ASCII_DIGITS)) < _FEWEST_PHONE_DIGITS:
        return None
    for match in _PHONE_CANDIDATE.finditer(decoded):
        if _is_phone(match.group(0)):
            return "a phone number"
    return None


# No phone ``_is_phone`` accepts has fewer digits (international: 8 to 15; grouped: 10 or 11).
_FEWEST_PHONE_DIGITS = 8
_NO_ASCII_DIGITS = {code: None for code in range(ord("0"), ord("9") + 1)}


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith(("+", "00")):
        international = "+" + (digits[2:] if candidate.startswith("00") else digits)
        return 8 <= len(digits) <= 15 and _valid(international, None)
    if "." in candidate or not _NATIONAL_GROUPED.fullmatch(candidate.strip()):
        return False
    return _valid(candidate, "US")


def _valid(text: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False


@dataclass(frozen=True, slots=True)
class Finding:
    field: str
    description: str


@dataclass(slots=True)
class Scan:
    refused: list[Finding] = field(default_factory=list)
    stripped: list[Finding] = field(default_factory=list)
    # The page URL to send instead of the event's (parameters removed), or None: unchanged.
    event_source_url: str | None = None


def scan_event(event: event_pb2.ConversionEvent, mode: str = STRIP) -> Scan:
    """What of ``event``'s free-form fields holds personal data, under ``mode``."""
    scan = Scan()
    # Every event passes here: an empty field is skipped and a content's path is spelled out
    # only for a finding.
    for path, text in (("event_id", event.event_id), ("order_id", event.order_id)):
        kind = personal_data_kind(text) if text else None
        if kind:
            scan.refused.append(Finding(path, _refusal(path, kind)))
    for index, content in enumerate(event.contents):
        for name, text in zip(_CONTENT_TEXTS, _content_texts(content), strict=True):
            kind = personal_data_kind(text) if text else None
            if kind:
                path = f"contents[{index}].{name}"
                scan.refused.append(Finding(path, _refusal(path, kind)))
    url = event.event_source_url
    if url:
        _scan_url(url, mode, scan)
    if event.HasField("custom_properties"):  # unset, it has no keys to scan
        _scan_struct(event.custom_properties, "custom_properties", scan)
    return scan


_CONTENT_TEXTS = ("id", "name", "category", "delivery_category")
_content_texts = attrgetter(*_CONTENT_TEXTS)


def _refusal(path: str, kind: str) -> str:
    return (
        f"{path} holds {kind}: personal data is sent only in user_data (hashed), never in a "
        "free-form field; remove it"
    )


def _scan_url(url: str, mode: str, scan: Scan) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all (e.g. "http://["): validation refuses its format
        return
    where = parts.netloc + parts.path
    kind = personal_data_kind(where)
    if kind:
        scan.refused.append(Finding("event_source_url", _refusal("event_source_url's path", kind)))
    query, query_found = _clean_parameters(parts.query, "query", mode, scan)
    fragment, fragment_found = _clean_parameters(parts.fragment, "fragment", mode, scan)
    if (query_found or fragment_found) and mode == STRIP:
        scan.event_source_url = urlunsplit(parts._replace(query=query, fragment=fragment))


def _clean_parameters(text: str, part: str, mode: str, scan: Scan) -> tuple[str, bool]:
    """``text`` (a query or fragment) without its parameters that hold personal data."""
    if not text:
        return text, False
    kept: list[str] = []
    found = False
    # Split by hand: the kept parameters stay exactly as sent, and a "+" stays a "+".
    for position, piece in enumerate(text.split("&"), start=1):
        name, _, value = piece.partition("=")
        kind = personal_data_kind(name) or personal_data_kind(value)
        if kind is None:
            kept.append(piece)
            continue
        found = True
        named = name and not personal_data_kind(name)
        label = f"{part} parameter {name!r}" if named else f"{part} parameter #{position}"
        if mode == REJECT:
            scan.refused.append(Finding("event_source_url", _refusal(f"event_source_url's {label}", kind)))
        else:
            scan.stripped.append(
                Finding(
                    "event_source_url",
                    f"event_source_url's {label} held {kind}; it was removed before the event was "
                    "stored or sent (personal data belongs in user_data, hashed)",
                )
            )
    return ("&".join(kept), True) if found else (text, False)


def _scan_struct(struct: struct_pb2.Struct, path: str, scan: Scan) -> None:
    for position, (key, value) in enumerate(sorted(struct.fields.items())):
        key_kind = personal_data_kind(key)
        # A key that is itself personal data is named by position, never echoed.
        child = f"{path}[#{position}]" if key_kind else f"{path}.{key}"
        if key_kind:
            scan.refused.append(Finding(child, _refusal(f"{path} key #{position}", key_kind)))
            continue
        _scan_value(value, child, scan)


def _scan_value(value: struct_pb2.Value, path: str, scan: Scan) -> None:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        found = personal_data_kind(value.string_value)
        if found:
            scan.refused.append(Finding(path, _refusal(path, found)))
    elif kind == "struct_value":
        _scan_struct(value.struct_value, path, scan)
    elif kind == "list_value":
        for index, item in enumerate(value.list_value.values):
            _scan_value(item, f"{path}[{index}]", scan)
