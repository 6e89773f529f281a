"""GA4's answer to one request → one Outcome per event, in request order. Pure.

``/mp/collect`` answers 2xx whenever it received the request and **never reports a bad event**
(platforms.md §2A "Responses and validation"), so a 2xx is not taken on trust:

- GA4's own success answer has an empty body; a 2xx with any other body came from something
  that is not GA4 (a proxy, a captive portal) and is retried.
- The body we sent is checked against GA4's rules (``checks``): an event GA4 would drop is
  REJECTED with the rule, in the validation server's words, rather than called DELIVERED.

Test mode sends to the validation server ``/debug/mp/collect``, whose answer
``{"validationMessages": [{fieldPath, description, validationCode}]}`` is mapped to the events it
names; an empty list means valid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from signalmesh.connector import kit

from signalmesh_ga4 import checks
from signalmesh_ga4.batching import VALIDATION_PATH

# "events[3].params.currency" → event 3, field "params.currency".
_EVENT_PATH = re.compile(r"events\[(\d+)\](?:\.(.+))?")
# Google's own example names the event in the description, with fieldPath "events":
# "Event at index: [0] has invalid name [_badEventName]. …" (G6).
_INDEX_IN_DESCRIPTION = re.compile(r"index:?\s*\[(\d+)\]")
_NAMES_THE_NAME = re.compile(r"\bname\b", re.IGNORECASE)
DELIVERED_MESSAGE = (
    "GA4 received the event and it passes GA4's rules (/mp/collect reports no errors itself; "
    "send test_mode events to have the validation server check them)"
)
VALIDATED_MESSAGE = "valid: the GA4 validation server returned no message (validation only, not in reports)"


@kit.retry_without_answer("GA4")
def classify(request: kit.HttpRequest, response: kit.HttpResponse) -> list[kit.Outcome]:
    """One Outcome per event of ``request``, in the order of ``request.event_ids``."""
    ids = request.event_ids
    status = response.status
    if 200 <= status < 300:
        messages = _validation_messages(response.body)
        if messages is not None:
            return _validated(ids, messages)
        if is_validation_request(request):
            return kit.outcome_for_each(
                ids,
                kit.OutcomeKind.RETRY,
                f"the GA4 validation server answered {status} without validationMessages: "
                f"{kit.body_excerpt(response.body)}",
            )
        if response.body.strip():
            return kit.outcome_for_each(
                ids,
                kit.OutcomeKind.RETRY,
                f"HTTP {status} with a body GA4 never sends (its 2xx is empty): "
                f"{kit.body_excerpt(response.body)}",
                code=str(status),
            )
        return _received(request, status)
    if status in (408, 429) or status >= 500:
        return kit.outcome_for_each(
            ids,
            kit.OutcomeKind.RETRY,
            f"HTTP {status}: {kit.body_excerpt(response.body)}",
            code=str(status),
            retry_after=kit.retry_after_seconds(response.headers),
        )
    kind = kit.OutcomeKind.REJECTED if 400 <= status < 500 else kit.OutcomeKind.RETRY
    return kit.outcome_for_each(
        ids, kind, f"HTTP {status}: {kit.body_excerpt(response.body)}", code=str(status)
    )


def _received(request: kit.HttpRequest, status: int) -> list[kit.Outcome]:
    """GA4 took the request: DELIVERED, except events our own body shows GA4 drops."""
    ids = request.event_ids
    body = kit.json_or_none(request.body)
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or len(events) != len(ids):
        # Not a body this connector built; nothing to check it against.
        return kit.outcome_for_each(ids, kit.OutcomeKind.DELIVERED, DELIVERED_MESSAGE, code=str(status))
    shared = checks.request_problems(body)
    outcomes = []
    for event_id, event in zip(ids, events, strict=True):
        found = shared + (checks.event_problems(event) if isinstance(event, dict) else [])
        if not found:
            outcomes.append(
                kit.Outcome(event_id, kit.OutcomeKind.DELIVERED, DELIVERED_MESSAGE, code=str(status))
            )
            continue
        outcomes.append(
            kit.Outcome(
                event_id,
                kit.OutcomeKind.REJECTED,
                f"GA4 answered {status} but drops this event: "
                + "; ".join(f"{problem.field}: {problem.description}" for problem in found),
                code=",".join(dict.fromkeys(problem.code for problem in found)),
                field=", ".join(dict.fromkeys(problem.field for problem in found)),
            )
        )
    return outcomes


def is_validation_request(request: kit.HttpRequest) -> bool:
    return urlsplit(request.url).path.endswith(VALIDATION_PATH)


def _validated(ids: Sequence[str], messages: list[dict[str, Any]]) -> list[kit.Outcome]:
    """REJECTED for each event a message names (all events for request-level messages), else DELIVERED."""
    by_event: dict[int, list[tuple[str, str, str]]] = {index: [] for index in range(len(ids))}
    for message in messages:
        field_path = _text(message.get("fieldPath"))
        description = _text(message.get("description")) or "GA4 validation refused the request"
        code = _text(message.get("validationCode"))
        index, field = _event_of(field_path, description, len(ids))
        targets = range(len(ids)) if index is None else (index,)
        for target in targets:
            by_event[target].append((description, code, field))
    outcomes = []
    for index, event_id in enumerate(ids):
        found = by_event[index]
        if not found:
            outcomes.append(kit.Outcome(event_id, kit.OutcomeKind.DELIVERED, VALIDATED_MESSAGE))
            continue
        outcomes.append(
            kit.Outcome(
                event_id,
                kit.OutcomeKind.REJECTED,
                "; ".join(description for description, _, _ in found),
                code=",".join(dict.fromkeys(code for _, code, _ in found if code)),
                field=", ".join(dict.fromkeys(field for _, _, field in found if field)),
            )
        )
    return outcomes


def _event_of(field_path: str, description: str, count: int) -> tuple[int | None, str]:
    """(the event index a message names, the field inside it); index None: the whole request."""
    if match := _EVENT_PATH.fullmatch(field_path):
        index = int(match.group(1))
        return (index, match.group(2) or "") if index < count else (None, field_path)
    if field_path in ("events", "") and (match := _INDEX_IN_DESCRIPTION.search(description)):
        index = int(match.group(1))
        if index < count:
            return index, "name" if _NAMES_THE_NAME.search(description) else ""
    return None, field_path


def _validation_messages(body: bytes) -> list[dict[str, Any]] | None:
    document = kit.json_or_none(body)
    if not isinstance(document, dict) or not isinstance(document.get("validationMessages"), list):
        return None
    return [message for message in document["validationMessages"] if isinstance(message, dict)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
