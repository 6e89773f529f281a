"""The sandbox's LinkedIn Conversions API: ``POST /rest/conversionEvents``, validated like Rest.li.

Validation is pure (``check_version``, ``validate_conversion_event``, ``batch_answer``) and
answers in Rest.li's error format (``status``, ``serviceErrorCode``, ``code``, ``message``,
platforms.md §4.6); the aiohttp handler only authenticates, parses, records and answers.

Choices where LinkedIn's behaviour is not confirmed (platforms.md §7.2):
- A batch is answered **per element** (HTTP 200, ``{"elements": [{"status": 201}, {"status":
  422, "error": {…}}]}``): the newer Rest.li shape. Whether conversionEvents instead rejects a
  whole batch for one bad event is [Unconfirmed]; connectors must handle both.
- A sunset, future or malformed ``LinkedIn-Version`` is **426** ``NONEXISTENT_VERSION``
  "Requested version 20251101 is not active", as public reports of LinkedIn show. A version
  ``YYYYMM`` is active from its month until the 15th of the same month a year later (LinkedIn's
  FAQ: 202511 sunsets on 2026-11-16, §4.1). A missing header is 426 ``VERSION_MISSING``.
- 422 messages follow Rest.li's validation form ``ERROR :: /path :: why``, naming the field.
- Accepted events are recorded under their conversion URN, deduplicated on ``eventId`` within
  the 90-day window LinkedIn accepts events for (LinkedIn publishes no dedup window, §6.3).
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any, NamedTuple

from aiohttp import web

from signalmesh.sandbox.json_values import is_sha256_hex
from signalmesh.sandbox.recorder import Recorder

PLATFORM = "linkedin"
MAX_EVENTS_PER_REQUEST = 5000  # LinkedIn: ≤ 5,000 events per batch (§4.2)
MAX_AGE_MS = 90 * 86_400_000  # LinkedIn: conversionHappenedAt within the past 90 days (§4.3)
MAX_FUTURE_MS = 10 * 60_000  # the clock skew the core allows (Limits.max_future_skew)
DEDUP_WINDOW_SECONDS = 90 * 86_400
SUNSET_DAY = 16  # LinkedIn FAQ: 202511 sunsets on 2026-11-16 (§4.1)
# Epoch milliseconds below this are before 1973: the client sent seconds.
SECONDS_LOOKALIKE_MS = 100_000_000_000

# LinkedIn idType values (§4.3); the IP types and GOOGLE_AID are from 2026 sources only.
ID_TYPES = frozenset(
    {
        "SHA256_EMAIL",
        "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID",
        "ACXIOM_ID",
        "ORACLE_MOAT_ID",
        "PLAINTEXT_IP_ADDRESS",
        "SHA256_IP_ADDRESS",
        "GOOGLE_AID",
    }
)
EVENT_FIELDS = frozenset({"conversion", "conversionHappenedAt", "conversionValue", "eventId", "user"})
USER_FIELDS = frozenset({"userIds", "userInfo", "lead", "externalIds"})
REQUIRED = "field is required but not found and has no default value"  # Rest.li's own wording
UNRECOGNIZED = "unrecognized field found but not allowed"  # Rest.li's own wording

_CONVERSION_URN = re.compile(r"urn:lla:llaPartnerConversion:\d+")
_LEAD_URN = re.compile(r"urn:li:leadGenFormResponse:\S+")
_VERSION = re.compile(r"(\d{4})(\d{2})(?:\.\d{2})?")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_BEARER = re.compile(r"(?i)bearer\s+(\S+)")


@dataclass(frozen=True, slots=True)
class RestliError:
    """One Rest.li error; ``to_body`` renders LinkedIn's JSON error object."""

    status: int
    message: str
    code: str | None = None
    service_error_code: int | None = None

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.code is not None:
            body["code"] = self.code
        if self.service_error_code is not None:
            body["serviceErrorCode"] = self.service_error_code
        return body


EMPTY_TOKEN = RestliError(401, "Empty oauth2_access_token", service_error_code=65604)
INVALID_TOKEN = RestliError(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
VERSION_MISSING = RestliError(
    426,
    "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
    "VERSION_MISSING",
)


class Violation(NamedTuple):
    path: str  # Rest.li path inside the event: "/user/userIds/0/idValue"
    detail: str


def check_version(header: str | None, now: float) -> RestliError | None:
    """Why LinkedIn would refuse this ``LinkedIn-Version`` at time ``now``; None if it is active."""
    if header is None or not header.strip():
        return VERSION_MISSING
    match = _VERSION.fullmatch(header.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return RestliError(426, f"Requested version {header.strip()} is not active", "NONEXISTENT_VERSION")
    year, month = int(match.group(1)), int(match.group(2))
    today = datetime.fromtimestamp(now, UTC).date()
    if not date(year, month, 1) <= today < date(year + 1, month, SUNSET_DAY):
        return RestliError(426, f"Requested version {year}{month:02d}01 is not active", "NONEXISTENT_VERSION")
    return None


def check_protocol(header: str | None) -> RestliError | None:
    # LinkedIn: X-Restli-Protocol-Version 2.0.0 is required on every call (§4.1).
    if header is not None and header.strip() == "2.0.0":
        return None
    return RestliError(400, "X-Restli-Protocol-Version must be 2.0.0 on LinkedIn's versioned REST APIs")


def batch_elements(body: Any) -> list[Any] | RestliError:
    """The ``elements`` of a BATCH_CREATE body, or why the request is refused as a whole."""
    elements = body.get("elements") if isinstance(body, dict) else None
    if not isinstance(elements, list) or not elements:
        return RestliError(400, 'A BATCH_CREATE body must be {"elements": [...]} with at least one event')
    if len(elements) > MAX_EVENTS_PER_REQUEST:
        return RestliError(
            400,
            f"A batch may hold at most {MAX_EVENTS_PER_REQUEST} elements; this one has {len(elements)}: "
            f"split it into several requests",
        )
    return elements


def batch_answer(elements: list[Any], now: float) -> list[dict[str, Any]]:
    """One status per element, in order: ``{"status": 201}`` or 422 with the Rest.li error."""
    answer: list[dict[str, Any]] = []
    for element in elements:
        violations = list(validate_conversion_event(element, now))
        if violations:
            answer.append({"status": 422, "error": unprocessable(violations).to_body()})
        else:
            answer.append({"status": 201})
    return answer


def unprocessable(violations: list[Violation]) -> RestliError:
    return RestliError(422, "".join(f"ERROR :: {path or '/'} :: {detail}\n" for path, detail in violations))


def validate_conversion_event(event: Any, now: float) -> Iterator[Violation]:
    """Every reason LinkedIn would refuse this conversion event, in field order."""
    if not isinstance(event, dict):
        yield Violation("", "each conversion event must be a JSON object")
        return
    yield from _unrecognized("", event, EVENT_FIELDS)
    conversion = event.get("conversion")
    if conversion is None:
        yield Violation("/conversion", REQUIRED)
    elif not (isinstance(conversion, str) and _CONVERSION_URN.fullmatch(conversion)):
        yield Violation("/conversion", "must be urn:lla:llaPartnerConversion:<conversion rule id>")
    yield from _check_happened_at(event.get("conversionHappenedAt"), now)
    yield from _check_value(event.get("conversionValue"))
    event_id = event.get("eventId")
    if event_id is not None and not (isinstance(event_id, str) and event_id):
        yield Violation("/eventId", "must be a non-empty string")
    yield from _check_user(event.get("user"))


def _check_happened_at(value: Any, now: float) -> Iterator[Violation]:
    path = "/conversionHappenedAt"
    if value is None:
        yield Violation(path, REQUIRED)
    elif isinstance(value, bool) or not isinstance(value, int):
        yield Violation(path, "must be an integer: epoch milliseconds")
    elif value < SECONDS_LOOKALIKE_MS:
        yield Violation(path, f"{value} looks like epoch seconds: send epoch milliseconds")
    elif now * 1000 - value > MAX_AGE_MS:
        yield Violation(path, "is more than 90 days ago: LinkedIn accepts conversions from the past 90 days")
    elif value - now * 1000 > MAX_FUTURE_MS:
        yield Violation(path, "is in the future")


def _check_value(value: Any) -> Iterator[Violation]:
    if value is None:
        return
    if not isinstance(value, dict):
        yield Violation("/conversionValue", "must be an object {currencyCode, amount}")
        return
    amount, currency = value.get("amount"), value.get("currencyCode")
    if amount is None:
        yield Violation("/conversionValue/amount", REQUIRED)
    elif not isinstance(amount, str):  # LinkedIn: amount is a decimal string (§4.3)
        yield Violation("/conversionValue/amount", f'must be a string such as "{amount}", not a number')
    elif not _DECIMAL.fullmatch(amount):
        yield Violation("/conversionValue/amount", 'must be a decimal string such as "29.90"')
    if currency is None:
        yield Violation("/conversionValue/currencyCode", REQUIRED)
    elif not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        yield Violation("/conversionValue/currencyCode", "must be an ISO 4217 code such as USD")


def _check_user(user: Any) -> Iterator[Violation]:
    if user is None:
        yield Violation("/user", REQUIRED)
        return
    if not isinstance(user, dict):
        yield Violation("/user", "must be an object")
        return
    yield from _unrecognized("/user", user, USER_FIELDS)
    user_ids = user.get("userIds")
    if user_ids is None:  # LinkedIn: userIds must be present, [] when empty, else 422 (§4.3)
        yield Violation("/user/userIds", f"{REQUIRED}: send [] when there is none")
    elif not isinstance(user_ids, list):
        yield Violation("/user/userIds", "must be an array of {idType, idValue}")
    else:
        for index, user_id in enumerate(user_ids):
            yield from _check_user_id(f"/user/userIds/{index}", user_id)
    user_info = user.get("userInfo")
    if user_info is not None:
        yield from _check_user_info(user_info)
    lead = user.get("lead")
    if lead is not None and not (isinstance(lead, str) and _LEAD_URN.fullmatch(lead)):
        yield Violation("/user/lead", "must be urn:li:leadGenFormResponse:<id>")
    external_ids = user.get("externalIds")
    if external_ids is not None and not (
        isinstance(external_ids, list) and all(isinstance(item, str) and item for item in external_ids)
    ):
        yield Violation("/user/externalIds", "must be an array of non-empty strings")
    # LinkedIn: at least one userIds entry, or userInfo with both names, or externalIds, or lead.
    if isinstance(user_ids, list) and not any(user.get(key) for key in USER_FIELDS):
        yield Violation(
            "/user", "needs at least one of userIds, userInfo (firstName and lastName), externalIds or lead"
        )


def _check_user_id(path: str, user_id: Any) -> Iterator[Violation]:
    if not isinstance(user_id, dict):
        yield Violation(path, "must be an object {idType, idValue}")
        return
    id_type, id_value = user_id.get("idType"), user_id.get("idValue")
    if id_type is None:
        yield Violation(f"{path}/idType", REQUIRED)
    elif id_type not in ID_TYPES:
        yield Violation(f"{path}/idType", f"{id_type!r} is not one of {', '.join(sorted(ID_TYPES))}")
    if id_value is None:
        yield Violation(f"{path}/idValue", REQUIRED)
    elif not (isinstance(id_value, str) and id_value):
        yield Violation(f"{path}/idValue", "must be a non-empty string")
    elif id_type in ("SHA256_EMAIL", "SHA256_IP_ADDRESS") and not is_sha256_hex(id_value):
        # LinkedIn: SHA-256 hex of the normalised value, never the plain value (§4.3, §6.4).
        yield Violation(f"{path}/idValue", "must be a SHA-256 hex digest (64 lower-case hex characters)")
    elif id_type == "PLAINTEXT_IP_ADDRESS" and not _is_ipv4(id_value):
        yield Violation(f"{path}/idValue", "must be an IPv4 address")  # LinkedIn: IPv4 only (§4.3)


def _check_user_info(user_info: Any) -> Iterator[Violation]:
    if not isinstance(user_info, dict):
        yield Violation("/user/userInfo", "must be an object")
        return
    for key in ("firstName", "lastName"):  # LinkedIn: both names, or no userInfo (§4.3)
        value = user_info.get(key)
        if not (isinstance(value, str) and value.strip()):
            yield Violation(f"/user/userInfo/{key}", f"{REQUIRED}: userInfo needs firstName and lastName")
    country = user_info.get("countryCode")
    if country is not None and not (isinstance(country, str) and _COUNTRY.fullmatch(country)):
        yield Violation("/user/userInfo/countryCode", "must be an ISO 3166-1 alpha-2 code such as US")


def _unrecognized(path: str, record: Mapping[str, Any], fields: frozenset[str]) -> Iterator[Violation]:
    """Rest.li refuses the fields a record's schema does not declare, one error each."""
    for key in sorted(set(record) - fields):
        yield Violation(f"{path}/{key}", UNRECOGNIZED)


def _is_ipv4(value: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def bearer_token(authorization: str | None) -> str | None:
    match = _BEARER.fullmatch(authorization.strip()) if authorization else None
    return match.group(1) if match else None


def parse_body(raw: bytes) -> Any | RestliError:
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        return RestliError(400, "The request body is not valid JSON")
    return body if isinstance(body, dict) else RestliError(400, "The request body must be a JSON object")


def fault_response(status: int) -> web.Response:
    """What LinkedIn answers when it is down or throttling: a Rest.li error with that status."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if status == 429:
        error = RestliError(
            429, "Resource level throttle limit for calls to this resource is reached.", "TOO_MANY_REQUESTS"
        )
    else:
        error = RestliError(status, phrase, phrase.upper().replace(" ", "_").replace("-", "_"))
    return error_response(error)


def error_response(error: RestliError) -> web.Response:
    return web.json_response(error.to_body(), status=error.status, headers=_headers())


def _headers() -> dict[str, str]:
    # LinkedIn returns a request id in the response headers (§4.6).
    return {"x-li-uuid": secrets.token_urlsafe(16), "X-RestLi-Protocol-Version": "2.0.0"}


class LinkedInEndpoint:
    """The aiohttp side: authenticate, check headers, validate, record, answer. No rules live here."""

    def __init__(self, tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> None:
        self._tokens = tokens
        self._clock = clock
        self._recorder = recorder

    async def conversion_events(self, request: web.Request) -> web.StreamResponse:
        token = bearer_token(request.headers.get("Authorization"))
        if token is None or token not in self._tokens:
            return error_response(EMPTY_TOKEN if token is None else INVALID_TOKEN)
        now = self._clock()
        header_error = check_version(request.headers.get("LinkedIn-Version"), now) or check_protocol(
            request.headers.get("X-Restli-Protocol-Version")
        )
        if header_error is not None:
            return error_response(header_error)
        body = parse_body(await request.read())
        if isinstance(body, RestliError):
            return error_response(body)
        method = request.headers.get("X-RestLi-Method", "CREATE")
        if method.strip().upper() == "CREATE":  # LinkedIn: no header, one event; success is 201 (§4.2)
            violations = list(validate_conversion_event(body, now))
            if violations:
                return error_response(unprocessable(violations))
            self._record([body])
            return web.Response(status=201, headers=_headers())
        if method.strip().upper() != "BATCH_CREATE":
            unsupported = f"X-RestLi-Method {method} is not supported on conversionEvents: use BATCH_CREATE"
            return error_response(RestliError(400, unsupported))
        elements = batch_elements(body)
        if isinstance(elements, RestliError):
            return error_response(elements)
        answer = batch_answer(elements, now)
        statuses = zip(elements, answer, strict=True)
        self._record([element for element, status in statuses if status["status"] == 201])
        return web.json_response({"elements": answer}, headers=_headers())

    def _record(self, events: list[Mapping[str, Any]]) -> None:
        by_conversion: dict[str, list[Mapping[str, Any]]] = {}
        for event in events:
            by_conversion.setdefault(event["conversion"], []).append(event)
        for conversion, accepted in by_conversion.items():
            self._recorder.accept(
                PLATFORM,
                conversion,
                [(event.get("eventId"), event) for event in accepted],
                test=False,
                window_seconds=DEDUP_WINDOW_SECONDS,
            )


def routes(tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> list[web.RouteDef]:
    endpoint = LinkedInEndpoint(tokens, clock, recorder)
    return [web.post("/rest/conversionEvents", endpoint.conversion_events)]
