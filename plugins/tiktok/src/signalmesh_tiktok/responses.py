"""TikTok's answer to one ``/event/track/`` request → one Outcome per event, in request order. Pure.

TikTok carries errors in the JSON ``code``, usually with HTTP 200: a 200 whose code is not 0 is
not a success (platforms.md §3.6). A request fails as a whole when one event is invalid (§3.3,
Hightouch). When the message names the event (``data[3].user.email …``) only that event is
rejected and the rest resent; otherwise a multi-event request is resent event by event
(``whole_request``) so the core can find it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from signalmesh.connector import kit

# TikTok response codes (§3.6, SDK S5 tiktok_code.py).
OK = 0
PARTIAL_OK = 20001
TOO_FREQUENT = 40100
# 40001 "permission error" is the token's or the pixel's, never one event's: like a bad token it
# fails every event, and resending one by one would only multiply the refusals.
TOKEN_CODES = frozenset({40001, 40102, 40104, 40105})
PII_NOT_HASHED = 40062
# Codes from 50000 up are system errors or timeouts: retry (§3.6).
FIRST_SYSTEM_CODE = 50000
# When TikTok throttles (40100) without a Retry-After header, wait this long at least.
DEFAULT_THROTTLE_SECONDS = 1.0
_NAMED_EVENT = re.compile(r"\bdata\[(\d+)\](?:\.([\w.\[\]]+))?")


@dataclass(frozen=True, slots=True)
class TikTokAnswer:
    """TikTok's ``{code, message, request_id, data}`` envelope."""

    code: int
    message: str
    request_id: str

    def describe(self, prefix: str = "") -> str:
        """The message with the request id TikTok support asks for (§3.6)."""
        text = f"{prefix}{self.message}" if prefix else self.message
        return f"{text} (request_id {self.request_id})" if self.request_id else text


@kit.retry_without_answer("TikTok")
def classify(request: kit.HttpRequest, response: kit.HttpResponse) -> list[kit.Outcome]:
    """One Outcome per event of ``request``, in the order of ``request.event_ids``."""
    ids = request.event_ids
    answer = _answer(response.body)
    retry_after = kit.retry_after_seconds(response.headers)
    if response.status == 429 or response.status >= 500:
        message = (
            answer.describe() if answer else f"HTTP {response.status}: {kit.body_excerpt(response.body)}"
        )
        code = str(answer.code) if answer else ""
        if retry_after is None and answer is not None and answer.code == TOO_FREQUENT:
            retry_after = DEFAULT_THROTTLE_SECONDS
        return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, message, code=code, retry_after=retry_after)
    if answer is None:
        if 200 <= response.status < 300:
            # Nothing says the events were taken; TikTok dedups a resend on event_id (§3.5).
            excerpt = kit.body_excerpt(response.body)
            text = f"TikTok answered {response.status} with an unreadable body: {excerpt}"
            return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, text)
        kind = kit.OutcomeKind.REJECTED if 400 <= response.status < 500 else kit.OutcomeKind.RETRY
        return kit.outcome_for_each(ids, kind, f"HTTP {response.status}: {kit.body_excerpt(response.body)}")
    return _by_code(ids, answer, response.status, retry_after)


def _by_code(
    ids: Sequence[str], answer: TikTokAnswer, status: int, retry_after: float | None
) -> list[kit.Outcome]:
    code = str(answer.code)
    if answer.code == OK:
        if 200 <= status < 300:
            return kit.outcome_for_each(ids, kit.OutcomeKind.DELIVERED, answer.describe())
        # A 4xx that says "OK" contradicts itself: never count it delivered.
        return kit.outcome_for_each(
            ids, kit.OutcomeKind.REJECTED, answer.describe(f"HTTP {status}: "), code=code
        )
    if answer.code == PARTIAL_OK:
        # TikTok: "partial OK" gives no per-event detail [Unconfirmed]: count them delivered and
        # keep TikTok's words on every event.
        return kit.outcome_for_each(
            ids, kit.OutcomeKind.DELIVERED, answer.describe("partial OK: "), code=code
        )
    if answer.code == TOO_FREQUENT:
        # TikTok: request too frequent; retry with backoff (§3.6).
        wait = retry_after if retry_after is not None else DEFAULT_THROTTLE_SECONDS
        return kit.outcome_for_each(
            ids, kit.OutcomeKind.RETRY, answer.describe(), code=code, retry_after=wait
        )
    if answer.code >= FIRST_SYSTEM_CODE:
        return kit.outcome_for_each(
            ids, kit.OutcomeKind.RETRY, answer.describe(), code=code, retry_after=retry_after
        )
    if answer.code in TOKEN_CODES:
        # The token is not an event's fault: keep the events in the outbox and pause the
        # destination (the core alerts and resumes once the token is replaced).
        return kit.outcome_for_each(
            ids,
            kit.OutcomeKind.RETRY,
            answer.describe("access token or permission refused: "),
            code=code,
            credentials=True,
        )
    return _invalid_request(ids, answer)


def _invalid_request(ids: Sequence[str], answer: TikTokAnswer) -> list[kit.Outcome]:
    """TikTok refused the request over its content (40000, 40002, 40061, 40062 and the like)."""
    code = str(answer.code)
    # 40062 is TikTok's "PII not hashed" (§3.6); say so when its message does not.
    unsaid = answer.code == PII_NOT_HASHED and "hash" not in answer.message.lower()
    prefix = "PII not hashed: " if unsaid else ""
    named = _named_event(answer.message, len(ids))
    if named is not None:
        index, field = named
        retry_message = f"TikTok refused the whole request because of {ids[index]}; resending the rest"
        return [
            kit.Outcome(event_id, kit.OutcomeKind.REJECTED, answer.describe(prefix), code=code, field=field)
            if position == index
            else kit.Outcome(event_id, kit.OutcomeKind.RETRY, retry_message, code=code)
            for position, event_id in enumerate(ids)
        ]
    if len(ids) == 1 or answer.code == PII_NOT_HASHED:
        # prepare hashes every key TikTok wants hashed, so an unnamed 40062 hits every event
        # alike (our hashing, or TikTok's rule, changed): resending one by one only repeats it.
        return kit.outcome_for_each(ids, kit.OutcomeKind.REJECTED, answer.describe(prefix), code=code)
    # TikTok fails the whole batch for one bad event and did not say which (§3.3): the core
    # resends these events one by one to find it.
    return kit.outcome_for_each(
        ids, kit.OutcomeKind.RETRY, answer.describe(prefix), code=code, whole_request=True
    )


def _named_event(message: str, size: int) -> tuple[int, str] | None:
    """``(index, field)`` when the message names exactly one event of the request."""
    matches = {(int(match.group(1)), match.group(2) or "") for match in _NAMED_EVENT.finditer(message)}
    indexes = {index for index, _ in matches}
    if len(indexes) != 1 or next(iter(indexes)) >= size:
        return None
    index = indexes.pop()
    fields = sorted(field for position, field in matches if position == index and field)
    return index, ", ".join(fields)


def _answer(body: bytes) -> TikTokAnswer | None:
    document = kit.json_or_none(body)
    if not isinstance(document, dict):
        return None
    code = document.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    message = document.get("message")
    request_id = document.get("request_id")
    return TikTokAnswer(
        code=code,
        message=message if isinstance(message, str) and message else f"TikTok code {code}",
        request_id=request_id if isinstance(request_id, str) else "",
    )
