"""Meta's answer to one ``/events`` request → one Outcome per event, in request order. Pure.

Meta accepts or refuses a request as a whole: one invalid event fails every event in it
(platforms.md §1.8). When the error names the culprit (``error_data.blame_field_specs`` with a
``data[i]`` index) only that event is rejected and the others are retried without it; when it
does not, a multi-event request is retried event by event so the bad one can be found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signalmesh.connector import kit

# Meta (Graph error handling, platforms.md §1.13): 1 and 2 are temporary; 4, 17, 341 and 613
# are throttling ("back off"); 190 is an invalid or expired token; 10 and 200-299 are missing
# permissions; 100 is an invalid parameter (CAPI validation, subcodes 2804xxx).
_TEMPORARY_CODES = frozenset({1, 2})
_THROTTLING_CODES = frozenset({4, 17, 341, 613})
_TOKEN_CODE = 190
_PERMISSION_CODES = frozenset({10, *range(200, 300)})
_BLAMED_EVENT = re.compile(r"data\[(\d+)\](?:\.(.+))?")


@dataclass(frozen=True, slots=True)
class GraphError:
    """The parts of a Graph API ``error`` object the classification needs."""

    code: int | None
    subcode: int | None
    message: str
    is_transient: bool
    blamed_fields: tuple[str, ...]

    @property
    def code_text(self) -> str:
        """``100/2804003`` style: code, then subcode when Meta sent one."""
        if self.code is None:
            return ""
        return f"{self.code}/{self.subcode}" if self.subcode else str(self.code)


# Meta: retry non-client errors such as timeouts (troubleshooting, M8).
@kit.retry_without_answer("Meta")
def classify(request: kit.HttpRequest, response: kit.HttpResponse) -> list[kit.Outcome]:
    """One Outcome per event of ``request``, in the order of ``request.event_ids``."""
    ids = request.event_ids
    retry_after = kit.retry_after_seconds(response.headers)
    document = kit.json_or_none(response.body)
    error = _graph_error(document)

    if 200 <= response.status < 300:
        if isinstance(document, dict) and isinstance(document.get("events_received"), int):
            return kit.outcome_for_each(ids, kit.OutcomeKind.DELIVERED, _received_message(document, len(ids)))
        return kit.outcome_for_each(
            ids,
            kit.OutcomeKind.RETRY,
            f"Meta answered {response.status} with an unreadable body: {kit.body_excerpt(response.body)}",
        )

    if response.status in (408, 429) or response.status >= 500:
        message = error.message if error else f"HTTP {response.status}: {kit.body_excerpt(response.body)}"
        return kit.outcome_for_each(
            ids,
            kit.OutcomeKind.RETRY,
            message,
            code=error.code_text if error else "",
            retry_after=retry_after,
        )

    if error is None:
        kind = kit.OutcomeKind.REJECTED if 400 <= response.status < 500 else kit.OutcomeKind.RETRY
        return kit.outcome_for_each(ids, kind, f"HTTP {response.status}: {kit.body_excerpt(response.body)}")

    if error.is_transient or error.code in _TEMPORARY_CODES or error.code in _THROTTLING_CODES:
        return kit.outcome_for_each(
            ids, kit.OutcomeKind.RETRY, error.message, code=error.code_text, retry_after=retry_after
        )
    if error.code == _TOKEN_CODE or error.code in _PERMISSION_CODES:
        # Meta: 190 = invalid/expired token, 10 and 200-299 = missing permission (platforms.md
        # §1.13). Not the events' fault: they wait in the outbox while the core pauses the
        # destination and raises an alert, and go out once the credentials work again.
        return kit.outcome_for_each(
            ids, kit.OutcomeKind.RETRY, error.message, code=error.code_text, credentials=True
        )
    return _invalid_request(ids, error)


def _invalid_request(ids: Sequence[str], error: GraphError) -> list[kit.Outcome]:
    """Meta refused the request over its content (code 100 and the like)."""
    blamed: dict[int, str] = {}
    unplaced_fields: list[str] = []
    for spec in error.blamed_fields:
        match = _BLAMED_EVENT.fullmatch(spec)
        if match and int(match.group(1)) < len(ids):
            blamed.setdefault(int(match.group(1)), match.group(2) or "")
        else:
            unplaced_fields.append(spec)

    if blamed:
        culprits = ", ".join(ids[index] for index in sorted(blamed))
        retry_message = f"Meta refused the whole request because of {culprits}; resending the rest"
        return [
            kit.Outcome(
                event_id, kit.OutcomeKind.REJECTED, error.message, code=error.code_text, field=blamed[index]
            )
            if index in blamed
            else kit.Outcome(event_id, kit.OutcomeKind.RETRY, retry_message, code=error.code_text)
            for index, event_id in enumerate(ids)
        ]
    field = ", ".join(unplaced_fields)
    if len(ids) == 1:
        return [
            kit.Outcome(ids[0], kit.OutcomeKind.REJECTED, error.message, code=error.code_text, field=field)
        ]
    # Meta: one invalid event rejects the whole batch and this error does not say which:
    # the core resends these events one by one to find it.
    return kit.outcome_for_each(
        ids, kit.OutcomeKind.RETRY, error.message, code=error.code_text, field=field, whole_request=True
    )


def _graph_error(document: Any) -> GraphError | None:
    if not isinstance(document, dict) or not isinstance(document.get("error"), dict):
        return None
    error = document["error"]
    message = next(
        (
            text
            for key in ("error_user_msg", "message", "error_user_title")
            if isinstance(text := error.get(key), str) and text.strip()
        ),
        "Meta refused the request without a message",
    )
    return GraphError(
        code=kit.int_or_none(error.get("code")),
        subcode=kit.int_or_none(error.get("error_subcode")),
        message=message,
        is_transient=error.get("is_transient") is True,
        blamed_fields=_blamed_fields(error.get("error_data")),
    )


def _blamed_fields(error_data: Any) -> tuple[str, ...]:
    """``blame_field_specs`` as ``data[3].user_data.em`` paths.

    Meta sends specs as lists of path parts (``[["data", 3, "user_data", "em"]]``) or as dotted
    strings, and ``error_data`` itself sometimes as a JSON string holding the object.
    """
    if isinstance(error_data, str):
        error_data = kit.json_or_none(error_data.encode("utf-8"))
    specs = error_data.get("blame_field_specs") if isinstance(error_data, dict) else None
    if not isinstance(specs, list):
        return ()
    paths: list[str] = []
    for spec in specs:
        parts = spec if isinstance(spec, list) else [spec]
        path = ""
        for part in parts:
            text = str(part)
            if text.isdigit():
                path += f"[{text}]"
            elif text:
                path += f".{text}" if path else text
        if path:
            paths.append(path)
    return tuple(paths)


def _received_message(document: dict[str, Any], sent: int) -> str:
    received = document["events_received"]
    trace = document.get("fbtrace_id", "")
    message = f"events_received={received}" + (f" fbtrace_id={trace}" if trace else "")
    if received != sent:
        message += f" (sent {sent})"
    return message
