"""The receiver's answer → one Outcome per event, all alike: a webhook accepts or refuses a whole
request. Pure.

A generic receiver has no error format we could read per event, so the status code decides:
2xx delivered; 408, 429 and 5xx retried (honouring Retry-After); any other answer is a
permanent refusal whose body text (truncated) tells the operator why.
"""

from __future__ import annotations

from signalmesh.connector import kit

MAX_MESSAGE_CHARS = 300
# 408 Request Timeout and 429 Too Many Requests are the 4xx that mean "try again later".
_RETRYABLE_4XX = frozenset({408, 429})
# 401/403: the receiver refuses our signature or credentials — the destination's fault, not an
# event's: pause the destination and keep the events until the secret is fixed.
_CREDENTIALS_4XX = frozenset({401, 403})


@kit.retry_without_answer("the webhook")
def classify(request: kit.HttpRequest, response: kit.HttpResponse) -> list[kit.Outcome]:
    """One Outcome per event of ``request``, in the order of ``request.event_ids``."""
    ids = request.event_ids
    status = response.status
    code = str(status)
    if 200 <= status < 300:
        # Any 2xx is a delivery: the body of a generic receiver has no contract to read.
        return kit.outcome_for_each(ids, kit.OutcomeKind.DELIVERED, f"HTTP {status}", code=code)
    message = kit.body_excerpt(
        response.body, MAX_MESSAGE_CHARS, empty=f"HTTP {status} with an empty body", ellipsis=""
    )
    if status in _RETRYABLE_4XX or status >= 500:
        return kit.outcome_for_each(
            ids,
            kit.OutcomeKind.RETRY,
            message,
            code=code,
            retry_after=kit.retry_after_seconds(response.headers),
        )
    if status in _CREDENTIALS_4XX:
        return kit.outcome_for_each(ids, kit.OutcomeKind.RETRY, message, code=code, credentials=True)
    # Other 4xx (and a 1xx/3xx that reached us: a wrong url) will not succeed on a retry.
    return kit.outcome_for_each(ids, kit.OutcomeKind.REJECTED, message, code=code)
