"""The sandbox's Google Ads API: ``POST /{version}/customers/{customer_id}:uploadClickConversions``.

Validation is pure (``authenticate``, ``parse_upload``, ``validate_conversion``) and answers in
Google's shapes: request-level problems as an HTTP error with a ``google.rpc.Status`` body, row
problems in ``partialFailureError`` with the row's index while the good rows are recorded. The
aiohttp handler only reads, records and answers. Rules cite platforms.md §2B.

Error codes come from google-ads-python's error enums (S2); which code the real API picks for a
malformed field outside ``ConversionUploadError`` is this sandbox's choice. Duplicates are keyed
by conversion action + order id, else click id + conversion time: a row that repeats a click and
time under a *different* order id is accepted here, where Google would refuse it.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from signalmesh.sandbox.recorder import Recorder

PLATFORM = "google_ads"
MAX_CONVERSIONS_PER_REQUEST = 2000  # Google Ads: 2001 or more fail the whole request (§2B)
MAX_USER_IDENTIFIERS = 5  # Google Ads: at most 5 per conversion (§2B)
MAX_AGE_SECONDS = 90 * 86400  # Google Ads: the click-through window is at most 90 days (§6.2)
MAX_FUTURE_SECONDS = 10 * 60
# Google Ads: an order id is usable once per conversion action, for the action's lifetime (§6.3).
DEDUP_WINDOW_SECONDS = math.inf
CLICK_IDS = ("gclid", "gbraid", "wbraid")
HASHED_KINDS = ("hashedEmail", "hashedPhoneNumber")  # Google Ads: the only kinds click uploads take
CONSENT_VALUES = frozenset({"GRANTED", "DENIED", "UNSPECIFIED", "UNKNOWN"})
SOURCE_VALUES = frozenset({"FIRST_PARTY", "THIRD_PARTY", "UNSPECIFIED", "UNKNOWN"})
# REST names (lowerCamelCase) → JSON type. snake_case is accepted too, as Google's JSON parser does;
# an unknown name fails the whole request, as it does at Google ("Cannot find field").
_Type = type | tuple[type, ...]
_SCHEMA: dict[str, dict[str, _Type]] = {
    "request": {"conversions": list, "partialFailure": bool, "validateOnly": bool, "jobId": int},
    "conversion": {
        "gclid": str,
        "gbraid": str,
        "wbraid": str,
        "conversionAction": str,
        "conversionDateTime": str,
        "conversionValue": (int, float),
        "currencyCode": str,
        "orderId": str,
        "userIdentifiers": list,
        "consent": dict,
        "customVariables": list,
        "cartData": dict,
        "externalAttributionData": dict,
        "conversionEnvironment": str,
        "customerType": str,
        "userIpAddress": str,
        "sessionAttributesEncoded": str,
        "sessionAttributesKeyValuePairs": dict,
    },
    "userIdentifier": {
        "userIdentifierSource": str,
        "hashedEmail": str,
        "hashedPhoneNumber": str,
        "mobileId": str,
        "thirdPartyUserId": str,
        "addressInfo": dict,
    },
    "consent": {"adUserData": str, "adPersonalization": str},
}
_NESTED = {"conversions": "conversion", "userIdentifiers": "userIdentifier", "consent": "consent"}
_ACTION = re.compile(r"customers/(\d+)/conversionActions/(\d+)")
# Google Ads: "yyyy-mm-dd hh:mm:ss+|-hh:mm", timezone required (§2B).
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}:\d{2}")
# A real click id is a long URL-safe token; anything short or with other characters cannot decode.
_CLICK_ID = re.compile(r"[A-Za-z0-9_-]{10,}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_NO_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_BAD_CREDENTIAL = _NO_CREDENTIAL.replace("is missing required", "had invalid")
_REQUIRED = "The required field was not present."

Path = tuple[tuple[str, int | None], ...]
Problem = tuple[str, str, str, Path]  # (category, code, message, path inside the row)


@dataclass(frozen=True, slots=True)
class AdsError:
    """One ``GoogleAdsError``: ``errorCode {category: code}``, message and field path."""

    category: str
    code: str
    message: str
    path: Path = ()

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"errorCode": {self.category: self.code}, "message": self.message}
        if self.path:
            elements = [{"fieldName": name} | _index(index) for name, index in self.path]
            error["location"] = {"fieldPathElements": elements}
        return error

    def where(self) -> str:
        return ".".join(name if index is None else f"{name}[{index}]" for name, index in self.path)


@dataclass(frozen=True, slots=True)
class RequestFailure:
    """The whole request refused: an HTTP error whose body is a ``google.rpc.Status``."""

    http_status: int
    status: str
    errors: tuple[AdsError, ...] = ()
    message: str = "Request contains an invalid argument."

    def to_body(self, version: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.http_status, "message": self.message, "status": self.status}
        if self.errors:
            error["details"] = [failure_detail(self.errors, version)]
        return {"error": error}


@dataclass(frozen=True, slots=True)
class Upload:
    """A well-formed request: conversions with REST (lowerCamelCase) keys, and the dry-run flag."""

    conversions: list[dict[str, Any]]
    validate_only: bool


def failure_detail(errors: tuple[AdsError, ...] | list[AdsError], version: str) -> dict[str, Any]:
    return {
        "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
        "errors": [error.to_json() for error in errors],
        "requestId": secrets.token_hex(8),
    }


def authenticate(
    authorization: str | None, developer_token: str | None, tokens: frozenset[str]
) -> RequestFailure | None:
    """Google Ads: ``Authorization: Bearer <OAuth2 token>`` and ``developer-token`` on each call (§2B).

    A missing or unknown token is 401 UNAUTHENTICATED (an unknown one, as an expired or revoked
    token, with ``authenticationError.OAUTH_TOKEN_INVALID``); a missing developer token is
    400 INVALID_ARGUMENT with ``requestError.DEVELOPER_TOKEN_PARAMETER_MISSING`` (S2 errors).
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return RequestFailure(401, "UNAUTHENTICATED", message=_NO_CREDENTIAL)
    if token.strip() not in tokens:
        message = "Oauth token in the header is not valid."
        invalid = AdsError("authenticationError", "OAUTH_TOKEN_INVALID", message)
        return RequestFailure(401, "UNAUTHENTICATED", (invalid,), message=_BAD_CREDENTIAL)
    if not (developer_token or "").strip():
        message = "The developer-token parameter is required for all requests."
        return _invalid(AdsError("requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING", message))
    return None


def parse_upload(raw: bytes, customer_id: str, login_customer_id: str | None) -> Upload | RequestFailure:
    """The request as an Upload, or why Google refuses it as a whole."""
    # Google Ads: customer ids, in the path and in login-customer-id, are digits only (§2B).
    for account in (customer_id, login_customer_id):
        if account is not None and not account.isdigit():
            message = f"Invalid customer ID '{account}': send digits only, without dashes."
            return _invalid(AdsError("requestError", "INVALID_CUSTOMER_ID", message))
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        document = None
    body = _rest_keys(document, "request", "") if isinstance(document, dict) else "Expected a JSON object."
    if isinstance(body, str):
        return RequestFailure(400, "INVALID_ARGUMENT", message=f"Invalid JSON payload received. {body}")
    if body.get("partialFailure") is not True:
        # Google Ads: partial_failure is required and must be true (§2B).
        message = "Partial failure mode is required for this operation: set partialFailure to true."
        return _invalid(AdsError("partialFailureError", "PARTIAL_FAILURE_MODE_REQUIRED", message))
    conversions = body.get("conversions") or []
    if not conversions:
        return _invalid(AdsError("fieldError", "REQUIRED", _REQUIRED, (("conversions", None),)))
    if len(conversions) > MAX_CONVERSIONS_PER_REQUEST:
        message = f"Upload fewer than {MAX_CONVERSIONS_PER_REQUEST + 1} events in a single request."
        return _invalid(AdsError("conversionUploadError", "TOO_MANY_CONVERSIONS_IN_REQUEST", message))
    return Upload(conversions=conversions, validate_only=body.get("validateOnly") is True)


def validate_conversion(row: Mapping[str, Any], index: int, customer_id: str, now: float) -> list[AdsError]:
    """Every reason Google would refuse row ``index``; empty when it would record it."""
    return [
        AdsError(category, code, message, (("conversions", index), *path))
        for category, code, message, path in _row_problems(row, customer_id, now)
    ]


def _row_problems(row: Mapping[str, Any], customer_id: str, now: float) -> Iterator[Problem]:
    yield from _click_id_problems(row)
    action = row.get("conversionAction")
    match = _ACTION.fullmatch(action) if action else None
    action_path: Path = (("conversion_action", None),)
    if not action:
        yield "fieldError", "REQUIRED", _REQUIRED, action_path
    elif match is None:
        message = f"Malformed resource name {action!r}: use customers/{{cid}}/conversionActions/{{id}}."
        yield "requestError", "RESOURCE_NAME_MALFORMED", message, action_path
    elif match.group(1) != customer_id:
        message = "The conversion action specified in the upload request cannot be found in this account."
        yield "conversionUploadError", "NO_CONVERSION_ACTION_FOUND", message, action_path
    yield from _date_time_problems(row.get("conversionDateTime"), now)
    currency = row.get("currencyCode")
    if currency is not None and not _CURRENCY.fullmatch(currency):  # Google Ads: ISO 4217 (§6.2)
        message = f"Currency code {currency!r} is not an upper-case ISO 4217 code, e.g. USD."
        yield "currencyCodeError", "UNSUPPORTED", message, (("currency_code", None),)
    if "@" in row.get("orderId", ""):  # Google Ads: an order id must not contain PII (§2B)
        message = "Can't import events with order IDs containing personally-identifiable information (PII)."
        yield "conversionUploadError", "ORDER_ID_CONTAINS_PII", message, (("order_id", None),)
    yield from _user_identifier_problems(row.get("userIdentifiers") or [])
    for key, value in (row.get("consent") or {}).items():
        if value not in CONSENT_VALUES:  # Google Ads: GRANTED or DENIED (§2B)
            path: Path = (("consent", None), (_snake(key), None))
            yield "requestError", "INVALID_ENUM_VALUE", f"Invalid consent value {value!r}.", path


def _click_id_problems(row: Mapping[str, Any]) -> Iterator[Problem]:
    present = [kind for kind in CLICK_IDS if row.get(kind)]
    if "gbraid" in present and "wbraid" in present:  # Google Ads: never both braids (§2B)
        message = "Can't use both gbraid and wbraid parameters. Use only 1 and try again."
        yield "conversionUploadError", "GBRAID_WBRAID_BOTH_SET", message, (("wbraid", None),)
    elif len(present) > 1:  # Google's samples: gclid excludes both braids (§2B)
        message = f"Set only one of {' and '.join(present)}."
        yield "fieldError", "VALUE_MUST_BE_UNSET", message, ((present[1], None),)
    elif not present and not row.get("userIdentifiers"):
        message = "Set one of gclid, gbraid or wbraid, or user_identifiers (enhanced conversions for leads)."
        yield "fieldError", "REQUIRED", message, (("gclid", None),)
    for kind in present:
        if not _CLICK_ID.fullmatch(row[kind]):
            message = f"The imported {kind} could not be decoded."
            yield "conversionUploadError", f"UNPARSEABLE_{kind.upper()}", message, ((kind, None),)


def _date_time_problems(value: str | None, now: float) -> Iterator[Problem]:
    path: Path = (("conversion_date_time", None),)
    if not value:
        yield "fieldError", "REQUIRED", _REQUIRED, path
        return
    if not _DATE_TIME.fullmatch(value):
        message = "The string date time's format should be yyyy-mm-dd hh:mm:ss+|-hh:mm."
        yield "dateError", "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET", message, path
        return
    try:
        moment = datetime.fromisoformat(value).timestamp()
    except ValueError:
        message = "Given field values do not correspond to a valid date time."
        yield "dateError", "INVALID_FIELD_VALUES_IN_DATE_TIME", message, path
        return
    if moment - now > MAX_FUTURE_SECONDS:
        yield "dateError", "LATER_THAN_MAXIMUM_DATE", "Date is after allowed maximum.", path
    elif now - moment > MAX_AGE_SECONDS:
        message = "The imported event's click occurred before this conversion's click-through window."
        yield "conversionUploadError", "EXPIRED_EVENT", message, path


def _user_identifier_problems(identifiers: list[dict[str, Any]]) -> Iterator[Problem]:
    if len(identifiers) > MAX_USER_IDENTIFIERS:
        message = f"Too many user identifiers: at most {MAX_USER_IDENTIFIERS}."
        yield "collectionSizeError", "TOO_MANY", message, (("user_identifiers", None),)
    for position, identifier in enumerate(identifiers):
        kinds = [key for key in identifier if key != "userIdentifierSource"]
        where: Path = (("user_identifiers", position),)
        if identifier.get("userIdentifierSource", "UNSPECIFIED") not in SOURCE_VALUES:
            yield "requestError", "INVALID_ENUM_VALUE", "Invalid user_identifier_source.", where
        if any(kind not in HASHED_KINDS for kind in kinds):
            message = "The provided user identifiers are not supported. Use only hashed email or phone."
            yield "conversionUploadError", "UNSUPPORTED_USER_IDENTIFIER", message, where
        elif len(kinds) != 1 or not _SHA256.fullmatch(identifier[kinds[0]]):
            # Google Ads: one kind per identifier (oneof), SHA-256 lower-case hex (§2B, §2C).
            message = "Make sure you hash user provided data using SHA-256 and normalize it first."
            yield "conversionUploadError", "INVALID_USER_IDENTIFIER", message, where


def dedup_key(row: Mapping[str, Any]) -> tuple[str, Hashable] | None:
    """(kind, key): by conversion action + order id, else click id + conversion time; None for neither."""
    if row.get("orderId"):
        return "ORDER_ID", (row["conversionAction"], row["orderId"])
    for kind in CLICK_IDS:
        if row.get(kind):
            return "CLICK", (kind, row[kind], row["conversionDateTime"])
    return None


_DUPLICATE_CODES = {
    ("ORDER_ID", False): "ORDER_ID_ALREADY_IN_USE",
    ("ORDER_ID", True): "DUPLICATE_ORDER_ID",
    ("CLICK", False): "CLICK_CONVERSION_ALREADY_EXISTS",
    ("CLICK", True): "DUPLICATE_CLICK_CONVERSION_IN_REQUEST",
}


def duplicate_error(kind: str, index: int, *, in_request: bool) -> AdsError:
    """Google's answer to a conversion it already has (or that this request repeats)."""
    field = "order_id" if kind == "ORDER_ID" else "conversion_date_time"
    message = "The imported event repeats an already recorded conversion, so it was not processed."
    code = _DUPLICATE_CODES[kind, in_request]
    return AdsError("conversionUploadError", code, message, (("conversions", index), (field, None)))


def conversion_result(row: Mapping[str, Any]) -> dict[str, Any]:
    """Google's ``ClickConversionResult`` for a recorded row."""
    keys = (*CLICK_IDS, "conversionAction", "conversionDateTime", "userIdentifiers")
    return {key: row[key] for key in keys if row.get(key)}


def upload_response(
    results: list[dict[str, Any]], errors: list[AdsError], version: str, *, validate_only: bool
) -> dict[str, Any]:
    """Google Ads: results per row, failed rows empty; errors in partialFailureError; validate_only
    answers with errors only (§2B)."""
    body: dict[str, Any] = {} if validate_only else {"results": results}
    if errors:
        message = "; ".join(f"{error.message}, at {error.where()}" for error in errors)
        details = [failure_detail(errors, version)]
        body["partialFailureError"] = {"code": 3, "message": message, "details": details}
    return body


_FAULTS = {  # HTTP status → (google.rpc status, message) for injected faults
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request deadline was exceeded."),
}


def fault_response(status: int) -> web.Response:
    """What Google answers when it throttles (429 RESOURCE_EXHAUSTED) or fails (5xx)."""
    default = ("INTERNAL", "Internal error encountered.") if status >= 500 else ("FAILED_PRECONDITION", "")
    name, message = _FAULTS.get(status, default)
    body = RequestFailure(status, name, message=message or f"HTTP {status}").to_body("")
    return web.json_response(body, status=status)


class GoogleAdsEndpoint:
    """The aiohttp side: authenticate, parse, validate, record, answer. No rules live here."""

    def __init__(self, tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> None:
        self._tokens = tokens
        self._clock = clock
        self._recorder = recorder

    async def upload_click_conversions(self, request: web.Request) -> web.Response:
        version, customer_id = request.match_info["version"], request.match_info["customer_id"]
        headers = request.headers
        refused = authenticate(headers.get("Authorization"), headers.get("developer-token"), self._tokens)
        parsed = refused or parse_upload(await request.read(), customer_id, headers.get("login-customer-id"))
        if isinstance(parsed, RequestFailure):
            return web.json_response(parsed.to_body(version), status=parsed.http_status)
        now = self._clock()
        test = parsed.validate_only
        errors: list[AdsError] = []
        results: list[dict[str, Any]] = []
        seen_in_request: set[Hashable] = set()
        for index, row in enumerate(parsed.conversions):
            row_errors = validate_conversion(row, index, customer_id, now)
            if not row_errors:
                row_errors = self._record(customer_id, index, row, seen_in_request, test=test)
            errors += row_errors
            results.append({} if row_errors else conversion_result(row))
        return web.json_response(upload_response(results, errors, version, validate_only=test))

    def _record(
        self, customer_id: str, index: int, row: dict[str, Any], seen: set[Hashable], *, test: bool
    ) -> list[AdsError]:
        """Record a valid row; a duplicate is reported (production only) instead of recorded again.

        validate_only rows are kept apart under ``test``: Google records nothing for them, the
        sandbox keeps them so a test run can see what reached the test channel.
        """
        keyed = dedup_key(row)
        key = None if keyed is None else keyed[1]
        if keyed is not None and not test and key in seen:
            return [duplicate_error(keyed[0], index, in_request=True)]
        seen.add(key)
        duplicates = self._recorder.accept(
            PLATFORM, customer_id, [(key, row)], test=test, window_seconds=DEDUP_WINDOW_SECONDS
        )
        if keyed is not None and duplicates and not test:
            return [duplicate_error(keyed[0], index, in_request=False)]
        return []


def _invalid(error: AdsError) -> RequestFailure:
    return RequestFailure(400, "INVALID_ARGUMENT", (error,))


def _rest_keys(value: dict[str, Any], kind: str, where: str) -> dict[str, Any] | str:
    """``value`` with lowerCamelCase keys, checked against ``_SCHEMA``, or what is wrong with it."""
    known = _SCHEMA[kind]
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = re.sub(r"_([a-z])", lambda match: match.group(1).upper(), key)
        location = f"{where}.{_snake(name)}" if where else _snake(name)
        if name not in known:
            return f"Unknown name {key!r} at '{where or 'request'}': Cannot find field."
        if (isinstance(item, bool) and known[name] is not bool) or not isinstance(item, known[name]):
            return f"Invalid value at '{location}': {json.dumps(item)[:60]}"
        converted = _rest_nested(item, _NESTED[name], location) if name in _NESTED else item
        if isinstance(converted, str) and name in _NESTED:
            return converted
        result[name] = converted
    return result


def _rest_nested(item: Any, kind: str, location: str) -> Any:
    """A nested object, or list of objects, with REST keys; a string says what is wrong."""
    if isinstance(item, dict):
        return _rest_keys(item, kind, location)
    converted: list[dict[str, Any]] = []
    for position, element in enumerate(item):
        place = f"{location}[{position}]"
        if not isinstance(element, dict):
            return f"Invalid value at '{place}': an object is required."
        checked = _rest_keys(element, kind, place)
        if isinstance(checked, str):
            return checked
        converted.append(checked)
    return converted


def _snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda match: "_" + match.group(0).lower(), name)


def _index(index: int | None) -> dict[str, int]:
    return {} if index is None else {"index": index}


def routes(tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> list[web.RouteDef]:
    endpoint = GoogleAdsEndpoint(tokens, clock, recorder)
    # The ':' before the method name is literal; a customer id never contains one.
    path = r"/{version:v\d+}/customers/{customer_id:[^/:]+}:uploadClickConversions"
    return [web.post(path, endpoint.upload_click_conversions)]
