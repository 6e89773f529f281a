"""The sandbox's TikTok Events API 2.0: ``POST /open_api/v1.3/event/track/``, validated like TikTok.

Validation is pure (``validate_tiktok_request``) and answers in TikTok's own envelope
``{code, message, request_id, data}``. Like TikTok, errors come back with **HTTP 200** and a
non-zero ``code`` (platforms.md §3.6); only injected faults use HTTP 429/5xx. Rules cite §3.

The codes are TikTok's (§3.6, SDK S5). The message texts and the ``data[i].field`` prefix that
names the culprit are this sandbox's own [Unconfirmed]: connectors should classify on ``code``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from aiohttp import web

from signalmesh.sandbox.json_values import is_currency_code, is_ip_address, is_number, unhashed_keys
from signalmesh.sandbox.recorder import Recorder

PLATFORM = "tiktok"
TRACK_PATH = "/open_api/v1.3/event/track/"  # TikTok Events API 2.0 (§3.1)
MAX_EVENTS_PER_REQUEST = 1000  # TikTok: up to 1,000 events per request (§3.3)
DEDUP_WINDOW_SECONDS = 48 * 3600  # TikTok: same pixel + event + event_id within 48 h (§3.5)
MAX_AGE_SECONDS = 7 * 86400  # TikTok: no documented maximum; 7 days as §3.3 advises [Unconfirmed]
MAX_FUTURE_SECONDS = 10 * 60

# TikTok response codes (§3.6).
OK = 0
INVALID_PARAMS = 40000
PERMISSION_ERROR = 40001
PARAMETER_ERROR = 40002
INVALID_BATCH_SIZE = 40061
PII_NOT_HASHED = 40062
TOO_FREQUENT = 40100
EMPTY_TOKEN = 40104
INVALID_TOKEN = 40105
SYSTEM_ERROR = 50000
SERVICE_TIMEOUT = 50002

EVENT_SOURCES = ("web", "app", "offline", "crm")  # TikTok: event_source values (§3.2)
# TikTok: email, phone and external_id "must be hashed with SHA-256" (§3.2, sample payload P1).
HASHED_USER_KEYS = ("email", "phone", "external_id")
RAW_USER_KEYS = ("ttclid", "ttp", "user_agent", "locale", "city", "state", "country")


@dataclass(frozen=True, slots=True)
class TikTokError:
    """One refusal; ``to_body`` renders TikTok's ``{code, message, request_id, data}``."""

    code: int
    message: str

    def to_body(self, request_id: str) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "request_id": request_id, "data": {}}


class Violation(NamedTuple):
    """What is wrong with one event: the field inside it, TikTok's code, and how to fix it."""

    field: str
    code: int
    detail: str


def validate_tiktok_request(body: Any, now: float) -> list[TikTokError]:
    """Every reason TikTok would refuse this request; empty when it would accept it.

    TikTok answers with the first error only, and one bad event fails the whole batch (§3.3).
    """
    request_error = _check_request(body)
    if request_error is not None:
        return [request_error]
    errors: list[TikTokError] = []
    for index, event in enumerate(body["data"]):
        if not isinstance(event, dict):
            errors.append(TikTokError(PARAMETER_ERROR, f"data[{index}]: each event must be an object"))
            continue
        for violation in validate_tiktok_event(event, now):
            path = f"data[{index}].{violation.field}"
            prefix = "PII not hashed: " if violation.code == PII_NOT_HASHED else ""
            errors.append(TikTokError(violation.code, f"{path}: {prefix}{violation.detail}"))
    return errors


def validate_tiktok_event(event: Mapping[str, Any], now: float) -> Iterator[Violation]:
    """The violations of one event of ``data``, in field order."""
    name = event.get("event")
    if not isinstance(name, str) or not name.strip():
        yield Violation("event", PARAMETER_ERROR, "event is required: a name such as CompletePayment")
    event_id = event.get("event_id")
    if event_id is not None and not isinstance(event_id, str):
        yield Violation("event_id", PARAMETER_ERROR, "event_id must be a string")
    yield from _check_event_time(event.get("event_time"), now)
    yield from _check_user(event.get("user"))
    yield from _check_properties(event.get("properties"))
    page = event.get("page")
    if page is not None and not (isinstance(page, dict) and isinstance(page.get("url", ""), str)):
        yield Violation("page", PARAMETER_ERROR, "page must be an object {url, referrer} of strings")
    if "limited_data_use" in event and not isinstance(event["limited_data_use"], bool):
        yield Violation("limited_data_use", PARAMETER_ERROR, "limited_data_use must be true or false")


def _check_request(body: Any) -> TikTokError | None:
    if not isinstance(body, dict):
        return TikTokError(INVALID_PARAMS, "Invalid params: the request body must be a JSON object")
    if body.get("event_source") not in EVENT_SOURCES:
        return TikTokError(PARAMETER_ERROR, f"event_source: must be one of {', '.join(EVENT_SOURCES)}")
    source_id = body.get("event_source_id")
    if not isinstance(source_id, str) or not source_id.strip():
        return TikTokError(PARAMETER_ERROR, "event_source_id: required, the pixel code or event set id")
    if "test_event_code" in body and not isinstance(body["test_event_code"], str):
        return TikTokError(PARAMETER_ERROR, "test_event_code: must be a string")
    data = body.get("data")
    if not isinstance(data, list):
        return TikTokError(PARAMETER_ERROR, "data: required, an array of events")
    if not 1 <= len(data) <= MAX_EVENTS_PER_REQUEST:
        return TikTokError(
            INVALID_BATCH_SIZE,
            f"Invalid batch size: data must hold 1 to {MAX_EVENTS_PER_REQUEST} events; it has {len(data)}",
        )
    return None


def _check_event_time(event_time: Any, now: float) -> Iterator[Violation]:
    if event_time is None:
        yield Violation("event_time", PARAMETER_ERROR, "event_time is required: Unix time in seconds")
    elif isinstance(event_time, bool) or not isinstance(event_time, int):
        yield Violation("event_time", PARAMETER_ERROR, "event_time must be an integer Unix time in seconds")
    elif now - event_time > MAX_AGE_SECONDS:
        yield Violation("event_time", PARAMETER_ERROR, "event_time is more than 7 days in the past")
    elif event_time - now > MAX_FUTURE_SECONDS:
        hint = " It looks like milliseconds: send seconds." if event_time > now * 100 else ""
        yield Violation("event_time", PARAMETER_ERROR, f"event_time is in the future.{hint}")


def _check_user(user: Any) -> Iterator[Violation]:
    if user is None:
        return
    if not isinstance(user, dict):
        yield Violation("user", PARAMETER_ERROR, "user must be an object")
        return
    for key in unhashed_keys(user, HASHED_USER_KEYS):
        yield Violation(
            f"user.{key}",
            PII_NOT_HASHED,
            f"user.{key} must be SHA-256 hashed: 64 lower-case hex characters, never the plain value",
        )
    for key in RAW_USER_KEYS:
        if key in user and not isinstance(user[key], str):
            yield Violation(f"user.{key}", PARAMETER_ERROR, f"user.{key} must be a string")
    if "ip" in user and not is_ip_address(user["ip"]):
        yield Violation("user.ip", PARAMETER_ERROR, "user.ip must be a valid IPv4 or IPv6 address")


def _check_properties(properties: Any) -> Iterator[Violation]:
    if properties is None:
        return
    if not isinstance(properties, dict):
        yield Violation("properties", PARAMETER_ERROR, "properties must be an object")
        return
    value, currency = properties.get("value"), properties.get("currency")
    if value is not None and not is_number(value):
        yield Violation("properties.value", PARAMETER_ERROR, "properties.value must be a number, e.g. 29.99")
    if currency is not None and not is_currency_code(currency):
        yield Violation(
            "properties.currency", PARAMETER_ERROR, "properties.currency must be ISO 4217, e.g. USD"
        )
    contents = properties.get("contents")
    if contents is not None and not (
        isinstance(contents, list) and all(isinstance(c, dict) for c in contents)
    ):
        yield Violation(
            "properties.contents", PARAMETER_ERROR, "properties.contents must be an array of objects"
        )


def token_error(token: str | None, tokens: Set[str]) -> TikTokError | None:
    """TikTok reads the token from the ``Access-Token`` header only (§3.1).

    ``tokens`` is the sandbox's live set: a token revoked while it runs is refused from then on.
    """
    if not token or not token.strip():
        return TikTokError(EMPTY_TOKEN, "Access token is empty: send it in the Access-Token header")
    if token not in tokens:
        return TikTokError(INVALID_TOKEN, "Access token is invalid or has been revoked")
    return None


def dedup_key(event: Mapping[str, Any]) -> Hashable | None:
    """TikTok dedups on pixel + event + event_id (§3.5); the pixel is the recorder's destination.

    TikTok "tries" ttp when there is no event_id; how is not documented, so such events are
    never deduplicated here.
    """
    event_id = event.get("event_id")
    return None if event_id in (None, "") else (event.get("event"), str(event_id))


def new_request_id(now: float) -> str:
    """A TikTok-style log id: the UTC time, then random hex (``20261123120000A1B2…``)."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def answer(error: TikTokError | None, now: float, status: int = 200) -> web.Response:
    """TikTok's envelope; ``X-Tt-Logid`` repeats the request id as TikTok's gateway does."""
    request_id = new_request_id(now)
    body = (error or TikTokError(OK, "OK")).to_body(request_id)
    return web.json_response(body, status=status, headers={"X-Tt-Logid": request_id})


def fault_response(status: int) -> web.Response:
    """What TikTok answers when it throttles (40100) or fails (50000, 50002 on a timeout)."""
    if status == 429:
        error = TikTokError(TOO_FREQUENT, "Request too frequent. Please retry later.")
    elif status == 504:
        error = TikTokError(SERVICE_TIMEOUT, "Service timeout. Please retry later.")
    elif status >= 500:
        error = TikTokError(SYSTEM_ERROR, "System error. Please retry later.")
    else:
        error = TikTokError(INVALID_PARAMS, f"Invalid params (injected HTTP {status})")
    return answer(error, time.time(), status)


class TikTokEndpoint:
    """The aiohttp side: authenticate, parse, validate, record, answer. No rules live here."""

    def __init__(self, tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> None:
        self._tokens = tokens
        self._clock = clock
        self._recorder = recorder

    async def track(self, request: web.Request) -> web.Response:
        now = self._clock()
        refused = token_error(request.headers.get("Access-Token"), self._tokens)
        if refused is not None:
            return answer(refused, now)
        try:
            body = json.loads(await request.read())
        except (UnicodeDecodeError, json.JSONDecodeError):
            return answer(
                TikTokError(INVALID_PARAMS, "Invalid params: the request body is not valid JSON"), now
            )
        errors = validate_tiktok_request(body, now)
        if errors:
            return answer(errors[0], now)
        self._recorder.accept(
            PLATFORM,
            body["event_source_id"],
            [(dedup_key(event), event) for event in body["data"]],
            test=bool(body.get("test_event_code")),
            window_seconds=DEDUP_WINDOW_SECONDS,
        )
        return answer(None, now)


def routes(tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> list[web.RouteDef]:
    endpoint = TikTokEndpoint(tokens, clock, recorder)
    return [web.post(TRACK_PATH, endpoint.track)]
