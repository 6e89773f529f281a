"""The sandbox's Meta Conversions API: ``POST /{version}/{pixel_id}/events``, validated like Graph.

Validation is pure (``validate_meta_request``) and answers with Graph's own error shapes; the
aiohttp handler only parses, authenticates, records and answers. Rules cite platforms.md §1.

Only subcode 2804003 (stale event_time) is confirmed from a recorded Meta response; the other
2804xxx subcodes are this sandbox's own choice inside Meta's CAPI range. Connectors should
classify on ``code`` and ``error_data.blame_field_specs``, never on those numbers.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from aiohttp import web

from signalmesh.sandbox.json_values import (
    all_strings,
    is_currency_code,
    is_ip_address,
    is_number,
    unhashed_keys,
)
from signalmesh.sandbox.recorder import Recorder

PLATFORM = "meta"
MAX_EVENTS_PER_REQUEST = 1000  # Meta: up to 1,000 events per request (§1.8)
DEDUP_WINDOW_SECONDS = 48 * 3600  # Meta: 48 h from the first event with that key (§1.10)
MAX_AGE_SECONDS = 7 * 86400  # Meta: event_time ≤ 7 days old (§1.7)
MAX_AGE_PHYSICAL_STORE_SECONDS = 62 * 86400  # Meta: physical_store uploads within 62 days
MAX_FUTURE_SECONDS = 10 * 60

MISSING_PARAMETER = 2804001
INVALID_VALUE = 2804002
TIMESTAMP_TOO_OLD = 2804003  # confirmed: recorded real response (platforms.md §1.7, F1)
TIMESTAMP_IN_FUTURE = 2804004
UNHASHED_CUSTOMER_INFORMATION = 2804005
INVALID_CLICK_ID = 2804006
INSUFFICIENT_CUSTOMER_INFORMATION = 2804007
TITLES = {
    MISSING_PARAMETER: "Missing Required Parameter",
    INVALID_VALUE: "Invalid Parameter Value",
    TIMESTAMP_TOO_OLD: "Event Timestamp Too Old",
    TIMESTAMP_IN_FUTURE: "Event Timestamp In Future",
    UNHASHED_CUSTOMER_INFORMATION: "Unhashed Customer Information",
    INVALID_CLICK_ID: "Invalid Click or Browser ID",
    INSUFFICIENT_CUSTOMER_INFORMATION: "Insufficient Customer Information",
}

ACTION_SOURCES = frozenset(
    {
        "email",
        "website",
        "app",
        "phone_call",
        "chat",
        "physical_store",
        "system_generated",
        "business_messaging",
        "other",
    }
)  # Meta: §1.3
HASHED_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")  # Meta: SHA-256 (§1.4)
UNHASHED_KEYS = (
    "external_id",
    "client_ip_address",
    "client_user_agent",
    "fbc",
    "fbp",
    "subscription_id",
    "fb_login_id",
    "lead_id",
    "anon_id",
    "madid",
    "page_id",
    "page_scoped_user_id",
    "ctwa_clid",
    "ig_account_id",
    "ig_sid",
    "doby",
    "dobm",
    "dobd",
    "f5first",
    "f5last",
    "fi",
)
CUSTOMER_INFORMATION_KEYS = frozenset(HASHED_KEYS + UNHASHED_KEYS)
# Meta: since v13.0 an event whose keys are only a subset of one of these is invalid (§1.12).
INSUFFICIENT_KEY_SETS = (
    frozenset({"ct", "country", "st", "zp", "ge", "client_user_agent"}),
    frozenset({"db", "client_user_agent"}),
    frozenset({"fn", "ge"}),
    frozenset({"ln", "ge"}),
)
# Meta: fbc = fb.{subdomainIndex}.{creationTime ms}.{fbclid}, fbp = fb.{index}.{ms}.{random} (§1.11);
# 13 digits is a millisecond time (seconds are a common bug). A trailing .appendix is allowed.
_CLICK_ID = re.compile(r"fb\.\d+\.\d{13}\.\S+")
_AUTH_SCHEME = re.compile(r"(?i)(?:bearer|oauth)\s+(\S+)")


@dataclass(frozen=True, slots=True)
class MetaError:
    """One Graph API error; ``to_body`` renders Graph's ``{"error": {...}}`` object."""

    message: str
    code: int = 100
    subcode: int | None = None
    user_msg: str | None = None
    # ("data", "<index>", "<field>"), the field dotted when nested: "user_data.em".
    blame: tuple[str, ...] | None = None
    error_type: str = "OAuthException"
    is_transient: bool | None = False
    http_status: int = 400

    def to_body(self, fbtrace_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.subcode in TITLES:
            error["error_user_title"] = TITLES[self.subcode]
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        if self.blame is not None:
            error["error_data"] = {"blame_field_specs": [list(self.blame)]}
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}


INVALID_TOKEN = MetaError(
    "Invalid OAuth access token - Cannot parse access token", code=190, is_transient=None
)


class Violation(NamedTuple):
    field: str
    subcode: int
    detail: str


def validate_meta_request(body: Mapping[str, Any], now: float) -> list[MetaError]:
    """Every reason Meta would refuse this request; empty when it would accept it.

    Meta answers with the first error only and rejects the whole batch for one bad event.
    """
    request_error = _check_request(body)
    if request_error is not None:
        return [request_error]
    errors: list[MetaError] = []
    for index, event in enumerate(body["data"]):
        blame_prefix = ("data", str(index))
        if not isinstance(event, dict):
            not_an_object = Violation("", INVALID_VALUE, "each event must be an object")
            errors.append(_event_error(blame_prefix, not_an_object))
            continue
        errors.extend(_event_error(blame_prefix, violation) for violation in validate_meta_event(event, now))
    return errors


def validate_meta_event(event: Mapping[str, Any], now: float) -> Iterator[Violation]:
    """The violations of one event of ``data``, in field order."""
    yield from _check_name_and_id(event)
    yield from _check_event_time(event, now)
    yield from _check_action_source(event)
    yield from _check_user_data(event)
    yield from _check_custom_data(event)


def _check_request(body: Mapping[str, Any]) -> MetaError | None:
    data = body.get("data")
    if data is None:
        return MetaError("(#100) The parameter data is required")
    if not isinstance(data, list) or not data:
        return MetaError("(#100) param data must be a non-empty array of events.")
    if len(data) > MAX_EVENTS_PER_REQUEST:
        return MetaError(
            f"(#100) param data must contain at most {MAX_EVENTS_PER_REQUEST} events; "
            f"this request has {len(data)}: split it into several requests."
        )
    for key in ("test_event_code", "partner_agent"):
        if key in body and not isinstance(body[key], str):
            return MetaError(f"(#100) param {key} must be a string.")
    return None


def _check_name_and_id(event: Mapping[str, Any]) -> Iterator[Violation]:
    name = event.get("event_name")
    if name is None or name == "":
        yield Violation("event_name", MISSING_PARAMETER, "event_name is required, e.g. Purchase")
    elif not isinstance(name, str):
        yield Violation("event_name", INVALID_VALUE, "event_name must be a string")
    event_id = event.get("event_id")
    if event_id is not None and (isinstance(event_id, bool) or not isinstance(event_id, str | int)):
        yield Violation("event_id", INVALID_VALUE, "event_id must be a string")


def _check_event_time(event: Mapping[str, Any], now: float) -> Iterator[Violation]:
    event_time = event.get("event_time")
    if event_time is None:
        yield Violation("event_time", MISSING_PARAMETER, "event_time is required: Unix time in seconds")
        return
    if isinstance(event_time, bool) or not isinstance(event_time, int):
        yield Violation("event_time", INVALID_VALUE, "event_time must be an integer Unix time in seconds")
        return
    physical_store = event.get("action_source") == "physical_store"
    max_age = MAX_AGE_PHYSICAL_STORE_SECONDS if physical_store else MAX_AGE_SECONDS
    if now - event_time > max_age:
        days = max_age // 86400
        yield Violation(
            "event_time",
            TIMESTAMP_TOO_OLD,
            f"The timestamp for this event is too far in the past. Events need to be sent from "
            f"your server within {days} days of when they occurred.",
        )
    elif event_time - now > MAX_FUTURE_SECONDS:
        hint = " It looks like milliseconds: send seconds." if event_time > now * 100 else ""
        yield Violation(
            "event_time",
            TIMESTAMP_IN_FUTURE,
            f"The timestamp for this event is in the future.{hint}",
        )


def _check_action_source(event: Mapping[str, Any]) -> Iterator[Violation]:
    source = event.get("action_source")
    if source is None:
        yield Violation("action_source", MISSING_PARAMETER, "action_source is required, e.g. website")
        return
    if source not in ACTION_SOURCES:
        choices = ", ".join(sorted(ACTION_SOURCES))
        yield Violation("action_source", INVALID_VALUE, f"action_source must be one of {choices}")
        return
    if source == "website":  # Meta: website events need event_source_url and client_user_agent (§1.3)
        if not event.get("event_source_url"):
            yield Violation(
                "event_source_url", MISSING_PARAMETER, "event_source_url is required for website events"
            )
        user_data = event.get("user_data")
        if isinstance(user_data, dict) and not user_data.get("client_user_agent"):
            yield Violation(
                "user_data.client_user_agent",
                MISSING_PARAMETER,
                "user_data.client_user_agent is required for website events",
            )


def _check_user_data(event: Mapping[str, Any]) -> Iterator[Violation]:
    user_data = event.get("user_data")
    if user_data is None:
        yield Violation("user_data", MISSING_PARAMETER, "user_data is required")
        return
    if not isinstance(user_data, dict):
        yield Violation("user_data", INVALID_VALUE, "user_data must be an object")
        return
    for key in unhashed_keys(user_data, HASHED_KEYS):  # Meta rejects unhashed contact information (§1.4)
        yield Violation(
            f"user_data.{key}",
            UNHASHED_CUSTOMER_INFORMATION,
            f"user_data.{key} must be hashed with SHA-256: 64 lower-case hex characters, "
            "never the plain value",
        )
    if "external_id" in user_data and not all_strings(user_data["external_id"], bool):
        yield Violation("user_data.external_id", INVALID_VALUE, "user_data.external_id must be string(s)")
    if "client_ip_address" in user_data and not is_ip_address(user_data["client_ip_address"]):
        yield Violation(
            "user_data.client_ip_address",
            INVALID_VALUE,
            "user_data.client_ip_address must be a valid IPv4 or IPv6 address",
        )
    for key, last_part in (("fbc", "fbclid"), ("fbp", "random")):
        value = user_data.get(key)
        if value is not None and not (isinstance(value, str) and _CLICK_ID.fullmatch(value)):
            shape = f"fb.1.<creation time in ms>.<{last_part}>"
            yield Violation(f"user_data.{key}", INVALID_CLICK_ID, f"user_data.{key} must look like {shape}")
    present = frozenset(key for key in CUSTOMER_INFORMATION_KEYS if user_data.get(key) not in (None, "", []))
    if not present:
        yield Violation(
            "user_data",
            INSUFFICIENT_CUSTOMER_INFORMATION,
            "user_data must contain at least one customer information parameter",
        )
    elif any(present <= weak for weak in INSUFFICIENT_KEY_SETS):
        yield Violation(
            "user_data",
            INSUFFICIENT_CUSTOMER_INFORMATION,
            f"{', '.join(sorted(present))} alone cannot match a person: add em, ph, external_id, "
            f"fbc, fbp or client_ip_address",
        )


def _check_custom_data(event: Mapping[str, Any]) -> Iterator[Violation]:
    custom = event.get("custom_data")
    if custom is not None and not isinstance(custom, dict):
        yield Violation("custom_data", INVALID_VALUE, "custom_data must be an object")
        return
    custom = custom or {}
    value, currency = custom.get("value"), custom.get("currency")
    is_purchase = event.get("event_name") == "Purchase"  # Meta: Purchase needs value + currency (§1.6)
    if value is None and is_purchase:
        yield Violation("custom_data.value", MISSING_PARAMETER, "custom_data.value is required for Purchase")
    elif value is not None and not is_number(value):
        yield Violation("custom_data.value", INVALID_VALUE, "custom_data.value must be a number, e.g. 29.99")
    field = "custom_data.currency"
    if currency is None and (value is not None or is_purchase):
        yield Violation(field, MISSING_PARAMETER, f"{field} is required with a value, e.g. USD")
    elif currency is not None and not is_currency_code(currency):
        yield Violation(field, INVALID_VALUE, f"{field} must be an ISO 4217 code, e.g. USD")


def _event_error(blame_prefix: tuple[str, ...], violation: Violation) -> MetaError:
    blame = (*blame_prefix, violation.field) if violation.field else blame_prefix
    return MetaError("Invalid parameter", subcode=violation.subcode, user_msg=violation.detail, blame=blame)


def parse_meta_body(content_type: str, raw: bytes) -> dict[str, Any] | MetaError:
    """JSON, or form fields whose ``data`` is a JSON-encoded array (Meta accepts both, §1.1)."""
    try:
        text = raw.decode("utf-8")
        if not text.strip():
            return {}
        if content_type == "application/x-www-form-urlencoded":
            form = {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
            if "data" in form:
                form["data"] = json.loads(form["data"])
            return dict(form)
        body = json.loads(text)
    except ValueError:
        return MetaError("(#100) The request body or its data parameter is not valid JSON.")
    if not isinstance(body, dict):
        return MetaError("(#100) The request body must be a JSON object.")
    return body


def access_token_of(
    query: Mapping[str, str], authorization: str | None, body: Mapping[str, Any]
) -> str | None:
    """Graph takes the token from the query, the body, or ``Authorization: Bearer`` (§1.1)."""
    for candidate in (query.get("access_token"), body.get("access_token")):
        if isinstance(candidate, str) and candidate:
            return candidate
    match = _AUTH_SCHEME.fullmatch(authorization.strip()) if authorization else None
    return match.group(1) if match else None


def dedup_key(event: Mapping[str, Any]) -> Hashable | None:
    """Meta dedups on event_name + event_id; events without an event_id are never deduplicated."""
    event_id = event.get("event_id")
    return None if event_id in (None, "") else (event.get("event_name"), str(event_id))


def fault_response(status: int) -> web.Response:
    """What Graph answers when it is down (code 2, transient) or throttling (code 4)."""
    if status == 429:
        error = MetaError(
            "(#4) Application request limit reached", code=4, is_transient=True, http_status=status
        )
    elif status >= 500:
        error = MetaError(
            "An unexpected error has occurred. Please retry your request later.",
            code=2,
            is_transient=True,
            http_status=status,
        )
    else:
        error = MetaError("An unknown error has occurred.", code=1, is_transient=False, http_status=status)
    return error_response(error)


def error_response(error: MetaError) -> web.Response:
    fbtrace_id = new_fbtrace_id()
    headers = {"x-fb-trace-id": fbtrace_id}
    if error.code == 190:
        headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
    return web.json_response(error.to_body(fbtrace_id), status=error.http_status, headers=headers)


def new_fbtrace_id() -> str:
    return secrets.token_urlsafe(16)


class MetaEndpoint:
    """The aiohttp side: parse, authenticate, validate, record, answer. No rules live here."""

    def __init__(self, tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> None:
        self._tokens = tokens
        self._clock = clock
        self._recorder = recorder

    async def events(self, request: web.Request) -> web.Response:
        parsed = parse_meta_body(request.content_type, await request.read())
        body = parsed if isinstance(parsed, dict) else {}
        if access_token_of(request.query, request.headers.get("Authorization"), body) not in self._tokens:
            return error_response(INVALID_TOKEN)
        if isinstance(parsed, MetaError):
            return error_response(parsed)
        pixel_id = request.match_info["pixel_id"]
        if not pixel_id.isdigit():
            return error_response(_unknown_object(pixel_id))
        errors = validate_meta_request(parsed, self._clock())
        if errors:
            return error_response(errors[0])
        events = parsed["data"]
        self._recorder.accept(
            PLATFORM,
            pixel_id,
            [(dedup_key(event), event) for event in events],
            test=bool(parsed.get("test_event_code")),
            window_seconds=DEDUP_WINDOW_SECONDS,
        )
        fbtrace_id = new_fbtrace_id()
        return web.json_response(
            {"events_received": len(events), "messages": [], "fbtrace_id": fbtrace_id},
            headers={"x-fb-trace-id": fbtrace_id},
        )


def _unknown_object(object_id: str) -> MetaError:
    # Graph's answer for an id that is not a pixel you can post to (code 100, subcode 33).
    return MetaError(
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be loaded due "
        f"to missing permissions, or does not support this operation.",
        subcode=33,
        error_type="GraphMethodException",
        is_transient=None,
    )


def routes(tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> list[web.RouteDef]:
    endpoint = MetaEndpoint(tokens, clock, recorder)
    return [web.post(r"/{version:v\d+\.\d+}/{pixel_id}/events", endpoint.events)]
