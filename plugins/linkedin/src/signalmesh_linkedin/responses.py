"""LinkedIn's answer to one ``BATCH_CREATE`` request → one Outcome per event, in request order. Pure.

LinkedIn answers a batch with one status per element (``{"elements": [{"status": 201}, …]}``,
platforms.md §4.2), so a bad event is rejected alone. One source reads the docs as "one invalid
record rejects the whole batch" [Unconfirmed]: then the answer is a single Rest.li error
(``status``, ``serviceErrorCode``, ``code``, ``message``, §4.6). When that error names the
element (a path such as ``/elements/3/conversionHappenedAt``) only that event is rejected; when
it does not, a multi-event request is retried event by event so the bad one can be found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signalmesh.connector import kit

# LinkedIn: retry 408, 423, 429 and 5xx (platforms.md §4.6, 3P S6 handleRequestError).
_RETRY_STATUSES = frozenset({408, 423, 429})
# Not any event's fault: every call fails the same way until someone fixes the destination.
# 401 token (§4.6), 403 missing rw_conversions scope or ad-account role (§4.1), 426 a sunset
# LinkedIn-Version ("Requested version … is not active", NONEXISTENT_VERSION). The events keep
# their place in the outbox (RETRY with credentials=True): the core pauses the destination and
# raises an alert instead of spending their retries or rejecting them.
_DESTINATION_STATUSES = {
    401: "check the destination's access_token",
    403: "the token needs the rw_conversions scope and an ad-account role",
    426: "set api_version to a LinkedIn-Version less than 12 months old",
}
MAX_UNREADABLE_CHARS = 500
# Rest.li validation messages read "ERROR :: /user/userIds/0/idValue :: <why>".
_RESTLI_PATH = re.compile(r"ERROR :: (/\S*) ::")
_ELEMENT_PATH = re.compile(r"elements\[(\d+)\](?:\.(.+))?")


@dataclass(frozen=True, slots=True)
class RestliError:
    """The parts of a Rest.li error (or of one element's status) the classification needs."""

    status: int | None
    code: str
    message: str
    # Dotted path as LinkedIn named it: "elements[3].conversionHappenedAt", "user.userIds[0]".
    field: str


@kit.retry_without_answer("LinkedIn")
def classify(request: kit.HttpRequest, response: kit.HttpResponse) -> list[kit.Outcome]:
    """One Outcome per event of ``request``, in the order of ``request.event_ids``."""
    ids = request.event_ids
    status = response.status
    retry_after = kit.retry_after_seconds(response.headers)
    document = kit.json_or_none(response.body)

    if 200 <= status < 300:
        elements = document.get("elements") if isinstance(document, dict) else None
        if isinstance(elements, list) and len(elements) == len(ids):
            pairs = zip(ids, elements, strict=True)
            return [_element_outcome(event_id, element) for event_id, element in pairs]
        # BATCH_CREATE always answers one status per element (§4.2); without them (empty body,
        # a proxy's page) nothing says the events were taken, so they are sent again.
        unreadable = f"LinkedIn answered {status} with an unreadable body: {kit.body_excerpt(response.body)}"
        return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, unreadable)

    error = _restli_error(document)
    message = error.message if error else f"HTTP {status}: {kit.body_excerpt(response.body)}"
    code = error.code if error and error.code else str(status)
    if status in _RETRY_STATUSES or status >= 500:
        return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, message, code=code, retry_after=retry_after)
    if status in _DESTINATION_STATUSES:
        hint = f"{message} ({_DESTINATION_STATUSES[status]})"
        return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, hint, code=code, credentials=True)
    if error is None or not 400 <= status < 500:
        # Not LinkedIn's error format (a proxy's page, an unexpected status): nothing to isolate.
        kind = kit.OutcomeKind.REJECTED if 400 <= status < 500 else kit.OutcomeKind.RETRY
        return kit.outcome_for_each(ids, kind, message, code=code)
    return _invalid_request(ids, error, code)


def _element_outcome(event_id: str, element: Any) -> kit.Outcome:
    """One element of a batch answer: 2xx delivered, retryable statuses retried, 4xx rejected."""
    status = kit.int_or_none(element.get("status")) if isinstance(element, dict) else None
    if status is None:
        unreadable = f"LinkedIn answered this event without a status: {element!r}"
        return kit.Outcome(event_id, kit.OutcomeKind.RETRY, unreadable[:MAX_UNREADABLE_CHARS])
    if 200 <= status < 300:
        return kit.Outcome(event_id, kit.OutcomeKind.DELIVERED, f"status {status}", code=str(status))
    # Rest.li puts the error in "error"; some answers put message and code on the element itself.
    error = _restli_error(element.get("error")) or _restli_error(element)
    message = error.message if error else f"status {status}"
    code = error.code if error and error.code else str(status)
    field = error.field if error else ""
    if status in _RETRY_STATUSES or status >= 500 or status < 400:
        return kit.Outcome(event_id, kit.OutcomeKind.RETRY, message, code=code)
    return kit.Outcome(event_id, kit.OutcomeKind.REJECTED, message, code=code, field=field)


def _invalid_request(ids: Sequence[str], error: RestliError, code: str) -> list[kit.Outcome]:
    """LinkedIn refused the whole request over its content (400, 422 …)."""
    blamed = _ELEMENT_PATH.fullmatch(error.field)
    if blamed and int(blamed.group(1)) < len(ids):
        culprit = int(blamed.group(1))
        retry_message = f"LinkedIn refused the whole request because of {ids[culprit]}; resending the rest"
        return [
            kit.Outcome(
                event_id, kit.OutcomeKind.REJECTED, error.message, code=code, field=blamed.group(2) or ""
            )
            if index == culprit
            else kit.Outcome(event_id, kit.OutcomeKind.RETRY, retry_message, code=code)
            for index, event_id in enumerate(ids)
        ]
    if len(ids) == 1:
        return [kit.Outcome(ids[0], kit.OutcomeKind.REJECTED, error.message, code=code, field=error.field)]
    # The error does not say which event caused it: the core resends them one by one.
    return kit.outcome_for_each(
        ids, kit.OutcomeKind.RETRY, error.message, code=code, field=error.field, whole_request=True
    )


def _restli_error(document: Any) -> RestliError | None:
    """A Rest.li error object (``status``, ``serviceErrorCode``, ``code``, ``message``), or None."""
    if not isinstance(document, dict):
        return None
    message = document.get("message")
    if not isinstance(message, str) or not message.strip():
        return None
    codes = (document.get("code"), document.get("serviceErrorCode"))
    parts = [str(part) for part in codes if part not in (None, "")]
    return RestliError(
        status=kit.int_or_none(document.get("status")),
        code="/".join(parts),
        message=message.strip(),
        field=_field_path(document, message),
    )


def _field_path(document: Mapping[str, Any], message: str) -> str:
    """The field LinkedIn blames, dotted: ``/user/userIds/0/idValue`` → ``user.userIds[0].idValue``.

    422 errors name the field path (§4.6): in the Rest.li message (``ERROR :: /path ::``) or,
    in LinkedIn's newer error details, ``errorDetails.inputErrors[].input.inputPath.fieldPath``.
    """
    path = ""
    details = document.get("errorDetails")
    input_errors = details.get("inputErrors") if isinstance(details, dict) else None
    if isinstance(input_errors, list) and input_errors and isinstance(input_errors[0], dict):
        field_path = ((input_errors[0].get("input") or {}).get("inputPath") or {}).get("fieldPath")
        path = field_path if isinstance(field_path, str) else ""
    if not path and (match := _RESTLI_PATH.search(message)):
        path = match.group(1)
    if not path.startswith("/"):
        return path
    dotted = ""
    for part in path.strip("/").split("/"):
        dotted += f"[{part}]" if part.isdigit() else (f".{part}" if dotted else part)
    return dotted
