"""Google Ads' answer to one ``uploadClickConversions`` request → one Outcome per event, in order. Pure.

With ``partialFailure`` on, Google accepts the good rows and reports each bad one in
``partialFailureError`` with its index (``fieldPathElements[{fieldName: "conversions", index}]``);
failed rows come back as empty ``results`` entries (platforms.md §2B). Errors outside the rows
(auth, quota, a malformed request) come back as an HTTP error with a ``google.rpc.Status`` body;
refused credentials are RETRY with ``credentials=True``, so the dispatcher pauses the destination
instead of rejecting events that did nothing wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from signalmesh.connector import kit

from signalmesh_google_ads.batching import is_validate_only

DELIVERED, RETRY, REJECTED = kit.OutcomeKind.DELIVERED, kit.OutcomeKind.RETRY, kit.OutcomeKind.REJECTED
# Google Ads: the click or the conversion action is under 6 hours old: retry after 6 hours (§2B).
TOO_RECENT = frozenset(
    {"conversionUploadError.TOO_RECENT_EVENT", "conversionUploadError.TOO_RECENT_CONVERSION_ACTION"}
)
TOO_RECENT_RETRY_SECONDS = 6 * 3600.0
# Google Ads: the platform already holds this conversion (same order id for the action, or same
# click and conversion_date_time): a resend of a delivered event, so it counts as delivered (§2B).
ALREADY_RECORDED = frozenset(
    {
        "conversionUploadError.CLICK_CONVERSION_ALREADY_EXISTS",
        "conversionUploadError.ORDER_ID_ALREADY_IN_USE",
        "conversionUploadError.DUPLICATE_ORDER_ID",
        "conversionUploadError.DUPLICATE_CLICK_CONVERSION_IN_REQUEST",
    }
)
# Google Ads: enhanced conversions for leads found no Google click. Expected for leads that did
# not come from an ad: a warning, the upload itself is fine (§2B).
CLICK_NOT_FOUND = "conversionUploadError.CLICK_NOT_FOUND"
# GoogleAdsError categories that are the platform's own trouble, not the row's (S2 errors.py).
_TRANSIENT_CATEGORIES = frozenset({"internalError", "quotaError"})
# google.rpc codes worth retrying: throttled, unavailable, aborted, timed out, internal.
_TRANSIENT_STATUSES = frozenset(
    {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "ABORTED", "DEADLINE_EXCEEDED", "INTERNAL"}
)
# When a row has several errors the worst decides: a refused row stays refused even if it was
# also "too recent".
# Google Ads: who is calling was refused, not what was sent (S2 errors.py): an expired, revoked or
# invalid OAuth token (authenticationError, HTTP 401 UNAUTHENTICATED), a developer token or
# account the caller may not use (authorizationError, HTTP 403 PERMISSION_DENIED), no
# developer-token header (HTTP 400). Every event alike, and no resend can fix it.
_CREDENTIAL_CATEGORIES = frozenset({"authenticationError", "authorizationError"})
_CREDENTIAL_CODES = frozenset(
    {"requestError.DEVELOPER_TOKEN_PARAMETER_MISSING", "requestError.LOGIN_CUSTOMER_ID_PARAMETER_MISSING"}
)
_OAUTH_ERRORS = frozenset({"invalid_grant", "invalid_token", "invalid_client", "unauthorized_client"})
CREDENTIALS_FIX = (
    "renew access_token (OAuth 2, scope https://www.googleapis.com/auth/adwords) and check "
    "developer_token and login_customer_id; the events wait until Google accepts them"
)
_RANK = {REJECTED: 0, RETRY: 1, DELIVERED: 2}
_RETRY_DELAY = re.compile(r"(\d+(?:\.\d+)?)s")
VALIDATED_MESSAGE = "validate_only: Google Ads found no error and recorded nothing"


@dataclass(frozen=True, slots=True)
class AdsError:
    """One ``GoogleAdsError``: ``code`` as ``category.VALUE``, the row it names (if any) and the field."""

    code: str
    message: str
    row: int | None
    field: str


@kit.retry_without_answer("Google Ads")
def classify(request: kit.HttpRequest, response: kit.HttpResponse) -> list[kit.Outcome]:
    """One Outcome per event of ``request``, in the order of ``request.event_ids``."""
    ids = request.event_ids
    document = kit.json_or_none(response.body)
    if 200 <= response.status < 300:
        validate_only = is_validate_only(request)
        # Google Ads: a live upload answers one results entry per conversion; validate_only none.
        if not isinstance(document, dict) or not (validate_only or _results(document, len(ids)) is not None):
            unreadable = f"Google Ads answered {response.status} without a result per conversion: "
            return kit.outcome_for_each(ids, RETRY, unreadable + kit.body_excerpt(response.body))
        return _rows(ids, document, validate_only=validate_only)

    # google.rpc.Status: {"error": {"code", "message", "status", "details"}}.
    rpc_error = document.get("error") if isinstance(document, dict) else None
    rpc_error = rpc_error if isinstance(rpc_error, dict) else {}
    rpc_status = _text(rpc_error.get("status"))
    message = _text(rpc_error.get("message")) or f"HTTP {response.status}: {kit.body_excerpt(response.body)}"
    if response.status in (408, 409, 429) or response.status >= 500 or rpc_status in _TRANSIENT_STATUSES:
        retry_after = kit.retry_after_seconds(response.headers) or _retry_delay(rpc_error.get("details"))
        return kit.outcome_for_each(
            ids, RETRY, message, code=rpc_status or str(response.status), retry_after=retry_after
        )

    errors = _ads_errors(rpc_error.get("details"))
    if (refusal := _credentials_refusal(response.status, rpc_status, errors, document)) is not None:
        # Not the events' fault: they wait in the outbox while the core pauses the destination and
        # raises an alert, and go out once the credentials work again.
        code, reason = refusal
        text = f"Google Ads refused the credentials ({reason or message}): {CREDENTIALS_FIX}"
        return kit.outcome_for_each(ids, RETRY, text, code=code, credentials=True)
    blamed = {error.row: error for error in errors if error.row is not None and error.row < len(ids)}
    if blamed:
        # Not expected with partialFailure on, but if Google names rows, only they are at fault.
        culprits = ", ".join(ids[row] for row in sorted(blamed))
        resend = f"Google Ads refused the whole request because of {culprits}; resending the rest"
        return [
            _outcome(event_id, REJECTED, blamed[row])
            if row in blamed
            else kit.Outcome(event_id, RETRY, resend)
            for row, event_id in enumerate(ids)
        ]
    # A malformed request: every event alike. The GoogleAdsFailure says what is wrong; the status
    # message is often only its category.
    if errors:
        first = errors[0]
        text = first.message or message
        return kit.outcome_for_each(ids, REJECTED, text, code=first.code, field=first.field)
    return kit.outcome_for_each(ids, REJECTED, message, code=rpc_status or str(response.status))


def _credentials_refusal(
    status: int, rpc_status: str, errors: Sequence[AdsError], document: Any
) -> tuple[str, str] | None:
    """(code, Google's message) when Google refused who is calling rather than what was sent."""
    for error in errors:
        category = error.code.partition(".")[0]
        if category in _CREDENTIAL_CATEGORIES or error.code in _CREDENTIAL_CODES:
            return error.code, error.message
    if status in (401, 403) or rpc_status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return rpc_status or str(status), ""
    # Google OAuth 2: an expired or revoked refresh token is HTTP 400 {"error": "invalid_grant",
    # "error_description": "Token has been expired or revoked."} (RFC 6749 §5.2).
    oauth_error = document.get("error") if isinstance(document, dict) else None
    if isinstance(oauth_error, str) and oauth_error in _OAUTH_ERRORS:
        return oauth_error, _text(document.get("error_description"))
    return None


def _rows(ids: Sequence[str], document: dict[str, Any], *, validate_only: bool) -> list[kit.Outcome]:
    """Per-row outcomes of a 2xx answer: each error placed on its row by its index."""
    failure = document.get("partialFailureError")
    failure = failure if isinstance(failure, dict) else {}
    errors = _ads_errors(failure.get("details"))
    by_row: dict[int, list[AdsError]] = {}
    for error in errors:
        if error.row is not None and error.row < len(ids):
            by_row.setdefault(error.row, []).append(error)
    unplaced = [error for error in errors if error.row is None]
    if not errors and failure.get("code") not in (None, 0):
        # A failure status without readable GoogleAdsFailure details.
        unplaced = [AdsError("", str(failure.get("message", "")), None, "")]
    if unplaced:
        # Google failed rows without naming them: its empty results entries mark the failed rows.
        failed_rows = _failed_rows(document, len(ids))
        if failed_rows is None:
            # Nothing says which rows: the core resends the events one by one; rows Google already
            # recorded then come back as duplicates, which count as delivered.
            first = unplaced[0]
            message = first.message or "Google Ads reported a partial failure without naming the rows"
            return kit.outcome_for_each(ids, RETRY, message, code=first.code, whole_request=True)
        for row in failed_rows - by_row.keys():
            by_row[row] = unplaced
    return [_row_outcome(event_id, by_row.get(row, []), validate_only) for row, event_id in enumerate(ids)]


def _row_outcome(event_id: str, errors: Sequence[AdsError], validate_only: bool) -> kit.Outcome:
    if not errors:
        message = VALIDATED_MESSAGE if validate_only else "uploaded to Google Ads"
        return kit.Outcome(event_id, DELIVERED, message)
    ranked = sorted(errors, key=lambda error: _RANK[_kind(error)])
    decisive = ranked[0]
    outcome = _outcome(event_id, _kind(decisive), decisive)
    if len(errors) > 1:
        others = ", ".join(error.code for error in ranked[1:])
        outcome = replace(outcome, message=f"{outcome.message} (also: {others})")
    return outcome


def _kind(error: AdsError) -> kit.OutcomeKind:
    if error.code in ALREADY_RECORDED or error.code == CLICK_NOT_FOUND:
        return DELIVERED
    if error.code in TOO_RECENT or error.code.partition(".")[0] in _TRANSIENT_CATEGORIES:
        return RETRY
    return REJECTED


def _outcome(event_id: str, kind: kit.OutcomeKind, error: AdsError) -> kit.Outcome:
    message = error.message or error.code
    if error.code in ALREADY_RECORDED:
        message = f"already recorded by Google Ads (duplicate): {message}"
    elif error.code == CLICK_NOT_FOUND:
        message = f"warning: {message}"
    retry_after = TOO_RECENT_RETRY_SECONDS if error.code in TOO_RECENT else None
    return kit.Outcome(event_id, kind, message, code=error.code, field=error.field, retry_after=retry_after)


def _ads_errors(details: Any) -> list[AdsError]:
    """The errors of every ``GoogleAdsFailure`` in a ``google.rpc.Status.details`` list."""
    errors: list[AdsError] = []
    for detail in details if isinstance(details, list) else []:
        failures = detail.get("errors") if isinstance(detail, dict) else None
        for error in failures if isinstance(failures, list) else []:
            if not isinstance(error, dict):
                continue
            code_of = error.get("errorCode")
            pairs = list(code_of.items()) if isinstance(code_of, dict) else []
            code = f"{pairs[0][0]}.{pairs[0][1]}" if pairs else ""
            message = _text(error.get("message"))
            row, field = _location(error.get("location"))
            errors.append(AdsError(code, message, row, field))
    return errors


def _location(location: Any) -> tuple[int | None, str]:
    """(row index, field path inside the row) from ``location.fieldPathElements``."""
    elements = location.get("fieldPathElements") if isinstance(location, dict) else None
    if not isinstance(elements, list):
        return None, ""
    row: int | None = None
    path: list[str] = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        name, index = str(element.get("fieldName", "")), kit.int_or_none(element.get("index"))
        if row is None and name == "conversions" and index is not None:
            row = index
        elif row is not None:
            path.append(name if index is None else f"{name}[{index}]")
    return row, ".".join(path)


def _failed_rows(document: dict[str, Any], count: int) -> set[int] | None:
    """Rows whose ``results`` entry is empty, Google's mark of a failed row; None when unknown."""
    if count == 1:
        return {0}
    results = _results(document, count)
    return None if results is None else {row for row, result in enumerate(results) if not result}


def _results(document: dict[str, Any], count: int) -> list[Any] | None:
    """The ``results`` list when it has one entry per conversion, else None."""
    results = document.get("results")
    return results if isinstance(results, list) and len(results) == count else None


def _retry_delay(details: Any) -> float | None:
    # google.rpc.RetryInfo {"retryDelay": "30s"} rides in the error's details.
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and (match := _RETRY_DELAY.fullmatch(delay)):
            return float(match.group(1))
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
