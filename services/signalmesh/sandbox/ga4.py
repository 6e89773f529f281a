"""The sandbox's GA4 Measurement Protocol: ``POST /mp/collect`` and ``POST /debug/mp/collect``.

Validation is pure (``validate_ga4_request``) and speaks the validation server's vocabulary,
``{"validationMessages": [{fieldPath, description, validationCode}]}`` (platforms.md §2A
"Responses and validation"). Like GA4:

- ``/mp/collect`` answers **204 with an empty body for every request it receives**, valid or
  not, with a wrong ``api_secret`` too: the events are silently dropped. The sandbox records
  them apart (destination ``<measurement_id>:dropped``, each with its validationMessages) so
  tests can see what GA4 would have thrown away;
- ``/debug/mp/collect`` answers 200 with the validation messages, checks neither the
  ``api_secret`` nor the ``measurement_id``, and its events never reach reports (here: they are
  recorded as test events, only when valid).

The codes are GA4's (§2A). Name problems use Google's published example shape (fieldPath
``events``, "Event at index: [0] has invalid name [...]", G6); other field paths and all
descriptions are this sandbox's own [Unconfirmed]. GA4 documents no deduplication for the
Measurement Protocol (§6.3), so nothing is deduplicated here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from signalmesh.sandbox.ga4_names import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    RESERVED_EVENT_NAMES,
    RESERVED_PREFIXES,
)
from signalmesh.sandbox.json_values import is_currency_code, is_number, is_sha256_hex
from signalmesh.sandbox.recorder import Recorder

PLATFORM = "ga4"
COLLECT_PATH = "/mp/collect"  # GA4 (§2A "Endpoint")
VALIDATION_PATH = "/debug/mp/collect"
DROPPED_SUFFIX = ":dropped"
MAX_EVENTS_PER_REQUEST = 25  # GA4 (§2A "Body")
MAX_BODY_BYTES = 130_000  # GA4: POST body under 130 kB (§2A); the stricter, decimal reading
MAX_PARAMS_PER_EVENT = 25
MAX_PARAM_VALUE_LENGTH = 100  # standard properties (§2A) [Unconfirmed for GA4 360]
MAX_USER_PROPERTIES = 25
MAX_USER_PROPERTY_NAME_LENGTH = 24
MAX_USER_PROPERTY_VALUE_LENGTH = 36
MAX_HASHED_VALUES = 3  # sha256_email_address[], sha256_phone_number[] (§2A "user_data", G4)
MAX_ADDRESSES = 2
MAX_AGE_SECONDS = 72 * 3600  # GA4: events can be backdated up to 72 hours (§2A "Timestamps")
MAX_FUTURE_SECONDS = 15 * 60

VALUE_INVALID = "VALUE_INVALID"
VALUE_REQUIRED = "VALUE_REQUIRED"
NAME_INVALID = "NAME_INVALID"
NAME_RESERVED = "NAME_RESERVED"
VALUE_OUT_OF_BOUNDS = "VALUE_OUT_OF_BOUNDS"
EXCEEDED_MAX_ENTITIES = "EXCEEDED_MAX_ENTITIES"

_ANY_CASE_SHA256 = re.compile(r"[0-9A-Fa-f]{64}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
HASHED_ADDRESS_KEYS = ("sha256_first_name", "sha256_last_name", "sha256_street")
CLEAR_ADDRESS_KEYS = ("city", "region", "postal_code", "country")
CONSENT_VALUES = ("GRANTED", "DENIED")


@dataclass(frozen=True, slots=True)
class ValidationMessage:
    """One entry of ``validationMessages``."""

    field_path: str
    description: str
    validation_code: str

    def as_json(self) -> dict[str, str]:
        return {
            "fieldPath": self.field_path,
            "description": self.description,
            "validationCode": self.validation_code,
        }


@dataclass(slots=True)
class Validation:
    """Messages about the request as a whole (they drop every event) and about each event."""

    request: list[ValidationMessage] = field(default_factory=list)
    events: list[list[ValidationMessage]] = field(default_factory=list)

    def messages(self) -> list[ValidationMessage]:
        return [*self.request, *(message for messages in self.events for message in messages)]

    def for_event(self, index: int) -> list[ValidationMessage]:
        """What drops event ``index``: the request's messages, then its own."""
        own = self.events[index] if index < len(self.events) else []
        return [*self.request, *own]


def validate_ga4_request(body: Any, body_bytes: int, now: float) -> Validation:
    """Every validation message GA4 would give this request; none means valid."""
    result = Validation()
    if not isinstance(body, dict):
        result.request.append(ValidationMessage("", "The request body must be a JSON object.", VALUE_INVALID))
        return result
    if body_bytes >= MAX_BODY_BYTES:
        result.request.append(
            ValidationMessage(
                "",
                f"The request body is {body_bytes} bytes; the Measurement Protocol takes less than 130 kB.",
                VALUE_OUT_OF_BOUNDS,
            )
        )
    result.request.extend(_check_request_fields(body, now))
    events = body.get("events")
    if not isinstance(events, list) or not events:
        result.request.append(
            ValidationMessage("events", "events is required: an array of 1 to 25 events.", VALUE_REQUIRED)
        )
        return result
    if len(events) > MAX_EVENTS_PER_REQUEST:
        result.request.append(
            ValidationMessage(
                "events",
                f"A request takes at most {MAX_EVENTS_PER_REQUEST} events; it has {len(events)}.",
                EXCEEDED_MAX_ENTITIES,
            )
        )
    result.events = [list(_check_event(index, event, now)) for index, event in enumerate(events)]
    return result


def _check_request_fields(body: Mapping[str, Any], now: float) -> Iterator[ValidationMessage]:
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        # GA4: client_id is required for web streams (§2A "Body").
        yield ValidationMessage("client_id", "client_id is required for a web stream.", VALUE_REQUIRED)
    if "user_id" in body and not (isinstance(body["user_id"], str) and body["user_id"].strip()):
        yield ValidationMessage("user_id", "user_id must be a non-empty string.", VALUE_INVALID)
    if "timestamp_micros" in body:
        yield from _check_timestamp("timestamp_micros", body["timestamp_micros"], now)
    if "user_data" in body:
        yield from _check_user_data(body["user_data"])
    if "user_properties" in body:
        yield from _check_user_properties(body["user_properties"])
    if "consent" in body:
        yield from _check_consent(body["consent"])


def _check_timestamp(path: str, value: Any, now: float) -> Iterator[ValidationMessage]:
    if isinstance(value, bool) or not isinstance(value, int):
        yield ValidationMessage(path, f"{path} must be an integer: Unix time in microseconds.", VALUE_INVALID)
        return
    seconds = value / 1_000_000
    if now - seconds > MAX_AGE_SECONDS:
        yield ValidationMessage(path, f"{path} is more than 72 hours in the past.", VALUE_OUT_OF_BOUNDS)
    elif seconds - now > MAX_FUTURE_SECONDS:
        hint = " It looks like nanoseconds: send microseconds." if seconds > now * 100 else ""
        yield ValidationMessage(path, f"{path} is in the future.{hint}", VALUE_OUT_OF_BOUNDS)


def _check_user_data(user_data: Any) -> Iterator[ValidationMessage]:
    if not isinstance(user_data, dict):
        yield ValidationMessage("user_data", "user_data must be an object.", VALUE_INVALID)
        return
    for key, value in user_data.items():
        path = f"user_data.{key}"
        if key in ("sha256_email_address", "sha256_phone_number"):
            yield from _check_hashed_values(path, value)
        elif key == "address":
            yield from _check_addresses(value)
        else:
            yield ValidationMessage(path, f"user_data has no field {key!r}.", NAME_INVALID)


def _check_hashed_values(path: str, value: Any) -> Iterator[ValidationMessage]:
    # GA4: each repeated field also accepts a single value; up to 3 values (§2A "user_data").
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_HASHED_VALUES:
        yield ValidationMessage(
            path, f"{path} takes at most {MAX_HASHED_VALUES} values.", EXCEEDED_MAX_ENTITIES
        )
    for index, item in enumerate(values):
        if not is_sha256_hex(item):
            yield ValidationMessage(
                f"{path}[{index}]" if isinstance(value, list) else path,
                f"{path} must be a SHA-256 digest: 64 lower-case hex characters, never the plain value.",
                VALUE_INVALID,
            )


def _check_addresses(value: Any) -> Iterator[ValidationMessage]:
    addresses = value if isinstance(value, list) else [value]
    if len(addresses) > MAX_ADDRESSES:
        yield ValidationMessage(
            "user_data.address", "address takes at most 2 entries.", EXCEEDED_MAX_ENTITIES
        )
    for index, address in enumerate(addresses):
        path = f"user_data.address[{index}]" if isinstance(value, list) else "user_data.address"
        if not isinstance(address, dict):
            yield ValidationMessage(path, "each address must be an object.", VALUE_INVALID)
            continue
        for key, item in address.items():
            item_path = f"{path}.{key}"
            if key in HASHED_ADDRESS_KEYS:
                if not is_sha256_hex(item):
                    yield ValidationMessage(
                        item_path,
                        f"{key} must be a SHA-256 digest: 64 lower-case hex characters.",
                        VALUE_INVALID,
                    )
            elif key in CLEAR_ADDRESS_KEYS:
                # GA4: city, region, postal_code and country are sent unhashed (§2A table, §2C).
                if not isinstance(item, str) or not item.strip():
                    yield ValidationMessage(item_path, f"{key} must be a non-empty string.", VALUE_INVALID)
                elif _ANY_CASE_SHA256.fullmatch(item):
                    yield ValidationMessage(
                        item_path, f"{key} must be sent in clear text, not hashed.", VALUE_INVALID
                    )
                elif key == "country" and not _COUNTRY.fullmatch(item):
                    yield ValidationMessage(
                        item_path, "country must be ISO 3166-1 alpha-2, e.g. US.", VALUE_INVALID
                    )
            else:
                yield ValidationMessage(item_path, f"address has no field {key!r}.", NAME_INVALID)


def _check_user_properties(properties: Any) -> Iterator[ValidationMessage]:
    if not isinstance(properties, dict):
        yield ValidationMessage("user_properties", "user_properties must be an object.", VALUE_INVALID)
        return
    if len(properties) > MAX_USER_PROPERTIES:
        yield ValidationMessage(
            "user_properties", f"at most {MAX_USER_PROPERTIES} user properties.", EXCEEDED_MAX_ENTITIES
        )
    for name, holder in properties.items():
        path = f"user_properties.{name}"
        if problem := _name_message(path, name, "user property", MAX_USER_PROPERTY_NAME_LENGTH):
            yield problem
        value = holder.get("value") if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or "value" not in holder:
            yield ValidationMessage(path, 'a user property is {"value": ...}.', VALUE_INVALID)
        elif isinstance(value, str) and len(value) > MAX_USER_PROPERTY_VALUE_LENGTH:
            yield ValidationMessage(
                f"{path}.value",
                f"user property values take at most {MAX_USER_PROPERTY_VALUE_LENGTH} characters.",
                VALUE_OUT_OF_BOUNDS,
            )


def _check_consent(consent: Any) -> Iterator[ValidationMessage]:
    if not isinstance(consent, dict):
        yield ValidationMessage("consent", "consent must be an object.", VALUE_INVALID)
        return
    for key, value in consent.items():
        if key not in ("ad_user_data", "ad_personalization"):
            yield ValidationMessage(f"consent.{key}", f"consent has no field {key!r}.", NAME_INVALID)
        elif value not in CONSENT_VALUES:
            yield ValidationMessage(f"consent.{key}", f"{key} must be GRANTED or DENIED.", VALUE_INVALID)


def _check_event(index: int, event: Any, now: float) -> Iterator[ValidationMessage]:
    path = f"events[{index}]"
    if not isinstance(event, dict):
        yield ValidationMessage(path, "each event must be an object {name, params}.", VALUE_INVALID)
        return
    name = event.get("name")
    if not isinstance(name, str) or not name:
        yield ValidationMessage(f"{path}.name", f"Event at index: [{index}] has no name.", VALUE_REQUIRED)
        name = ""
    elif name in RESERVED_EVENT_NAMES or name.startswith(RESERVED_PREFIXES):
        # Google's example shape: fieldPath "events", the index in the description (G6).
        yield ValidationMessage(
            "events", f"Event at index: [{index}] has reserved name [{name}].", NAME_RESERVED
        )
    elif len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
        yield ValidationMessage(
            "events",
            f"Event at index: [{index}] has invalid name [{name}]. Names must start with an alphabetic "
            f"character and hold at most {MAX_NAME_LENGTH} letters, digits or underscores.",
            NAME_INVALID,
        )
    if "timestamp_micros" in event:
        yield from _check_timestamp(f"{path}.timestamp_micros", event["timestamp_micros"], now)
    params = event.get("params", {})
    if not isinstance(params, dict):
        yield ValidationMessage(f"{path}.params", "params must be an object.", VALUE_INVALID)
        return
    yield from _check_params(f"{path}.params", name, params)


def _check_params(path: str, event_name: str, params: Mapping[str, Any]) -> Iterator[ValidationMessage]:
    if len(params) > MAX_PARAMS_PER_EVENT:
        yield ValidationMessage(
            path,
            f"an event takes at most {MAX_PARAMS_PER_EVENT} params; it has {len(params)}.",
            EXCEEDED_MAX_ENTITIES,
        )
    for key, value in params.items():
        param_path = f"{path}.{key}"
        if problem := _name_message(param_path, key, "param", MAX_NAME_LENGTH):
            yield problem
        if key == "items":
            yield from _check_items(param_path, value)
        elif isinstance(value, str):
            if len(value) > MAX_PARAM_VALUE_LENGTH:
                yield ValidationMessage(
                    param_path,
                    f"param values take at most {MAX_PARAM_VALUE_LENGTH} characters.",
                    VALUE_OUT_OF_BOUNDS,
                )
        elif not is_number(value):
            yield ValidationMessage(param_path, "param values are strings or numbers.", VALUE_INVALID)
    if "value" in params and not is_number(params["value"]):
        yield ValidationMessage(f"{path}.value", "value must be a number, e.g. 29.99.", VALUE_INVALID)
    currency = params.get("currency")
    if "value" in params and currency is None:
        # GA4: currency is required whenever value is set (§2A, §6.2).
        yield ValidationMessage(f"{path}.currency", "currency is required when value is set.", VALUE_REQUIRED)
    elif currency is not None and not is_currency_code(currency):
        yield ValidationMessage(f"{path}.currency", "currency must be ISO 4217, e.g. USD.", VALUE_INVALID)
    if event_name == "purchase" and not params.get("transaction_id"):
        # GA4: purchase requires transaction_id (§2A, G5).
        yield ValidationMessage(f"{path}.transaction_id", "purchase requires transaction_id.", VALUE_REQUIRED)
    engagement = params.get("engagement_time_msec")
    if engagement is not None and not (is_number(engagement) and engagement >= 0):
        yield ValidationMessage(
            f"{path}.engagement_time_msec", "engagement_time_msec must be a number ≥ 0.", VALUE_INVALID
        )


def _check_items(path: str, items: Any) -> Iterator[ValidationMessage]:
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        yield ValidationMessage(path, "items must be an array of objects.", VALUE_INVALID)
        return
    for index, item in enumerate(items):
        # GA4: each item needs item_id or item_name (G5).
        if not item.get("item_id") and not item.get("item_name"):
            yield ValidationMessage(f"{path}[{index}]", "an item needs item_id or item_name.", VALUE_REQUIRED)


def _name_message(path: str, name: str, what: str, max_length: int) -> ValidationMessage | None:
    if name.startswith(RESERVED_PREFIXES):
        return ValidationMessage(path, f"{what} name [{name}] uses a reserved prefix.", NAME_RESERVED)
    if len(name) > max_length or not NAME_PATTERN.fullmatch(name):
        return ValidationMessage(
            path,
            f"{what} name [{name}] is invalid: at most {max_length} letters, digits or underscores, "
            "starting with a letter.",
            NAME_INVALID,
        )
    return None


def secret_problem(measurement_id: str, api_secret: str, secrets: Set[str]) -> str | None:
    """Why production GA4 would drop the request for its credentials (it says nothing: §2A)."""
    if not measurement_id.strip():
        return "measurement_id is missing from the query string"
    if not api_secret or api_secret not in secrets:
        return "api_secret is missing or not a secret of this stream"
    return None


def recorded_event(body: Mapping[str, Any], event: Any) -> dict[str, Any]:
    """One event as GA4 stores it: the request-level fields, then the event's own over them."""
    shared = {key: value for key, value in body.items() if key != "events"}
    return {**shared, **event} if isinstance(event, dict) else {**shared, "event": event}


def fault_response(status: int) -> web.Response:
    """Google's front end answers throttling and outages with a JSON error envelope."""
    names = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    body = {
        "error": {
            "code": status,
            "message": f"injected HTTP {status}",
            "status": names.get(status, "INTERNAL"),
        }
    }
    return web.json_response(body, status=status)


class Ga4Endpoint:
    """The aiohttp side: parse, validate, record, answer. No rules live here."""

    def __init__(self, secrets: Set[str], clock: Callable[[], float], recorder: Recorder) -> None:
        self._secrets = secrets
        self._clock = clock
        self._recorder = recorder

    async def collect(self, request: web.Request) -> web.Response:
        """Production: 204 and an empty body whatever happens (§2A); drops are recorded apart."""
        now = self._clock()
        measurement_id = request.query.get("measurement_id", "")
        raw = await request.read()
        body, validation = _parse_and_validate(raw, now)
        refused = secret_problem(measurement_id, request.query.get("api_secret", ""), self._secrets)
        if refused is not None:
            validation.request.insert(0, ValidationMessage("api_secret", refused, VALUE_INVALID))
        accepted, dropped = [], []
        events = body.get("events") if isinstance(body, dict) else None
        for index, event in enumerate(events if isinstance(events, list) else [None]):
            messages = validation.for_event(index)
            record = recorded_event(body, event) if isinstance(body, dict) else {}
            if messages:
                record["validationMessages"] = [message.as_json() for message in messages]
                dropped.append((None, record))
            else:
                accepted.append((None, record))
        destination = measurement_id or "(none)"
        if accepted:
            self._recorder.accept(PLATFORM, destination, accepted, test=False, window_seconds=0)
        if dropped:
            self._recorder.accept(
                PLATFORM, destination + DROPPED_SUFFIX, dropped, test=False, window_seconds=0
            )
        return web.Response(status=204)

    async def validate(self, request: web.Request) -> web.Response:
        """The validation server: the messages, no credential check; valid events recorded as tests."""
        now = self._clock()
        body, validation = _parse_and_validate(await request.read(), now)
        events = body.get("events") if isinstance(body, dict) else None
        if isinstance(body, dict) and isinstance(events, list):
            valid = [
                (None, recorded_event(body, event))
                for index, event in enumerate(events)
                if not validation.for_event(index)
            ]
            if valid:
                destination = request.query.get("measurement_id", "") or "(none)"
                self._recorder.accept(PLATFORM, destination, valid, test=True, window_seconds=0)
        messages = [message.as_json() for message in validation.messages()]
        return web.json_response({"validationMessages": messages})


def _parse_and_validate(raw: bytes, now: float) -> tuple[Any, Validation]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, Validation(
            request=[ValidationMessage("", "Unable to parse the JSON body.", VALUE_INVALID)]
        )
    return body, validate_ga4_request(body, len(raw), now)


def routes(tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> list[web.RouteDef]:
    """``tokens`` are the api_secrets production accepts (a live set: revocation applies at once)."""
    endpoint = Ga4Endpoint(tokens, clock, recorder)
    return [web.post(COLLECT_PATH, endpoint.collect), web.post(VALIDATION_PATH, endpoint.validate)]
