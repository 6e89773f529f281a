"""Prepared events → LinkedIn ``BATCH_CREATE`` requests of at most 5,000 events, byte-stable. Pure.

Every request is a batch, even of one event: one request shape means one response shape to
classify (``{"elements": [{"status": …}, …]}``, platforms.md §4.2).
"""

from __future__ import annotations

from collections.abc import Sequence

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

DEFAULT_BASE_URL = "https://api.linkedin.com"
# LinkedIn: monthly versions, each supported for about a year; a sunset version fails every
# call with 426 NONEXISTENT_VERSION (platforms.md §4.1). 202609 is active until 2027-09-15.
DEFAULT_API_VERSION = "202609"
# LinkedIn: at most 5,000 events per batch (platforms.md §4.2).
MAX_EVENTS_PER_REQUEST = 5000


def events_url(destination: kit.Destination) -> str:
    # LinkedIn: POST https://api.linkedin.com/rest/conversionEvents (platforms.md §4.1)
    base_url = destination.setting("base_url", DEFAULT_BASE_URL).rstrip("/")
    return f"{base_url}/rest/conversionEvents"


def headers(destination: kit.Destination) -> dict[str, str]:
    """The headers LinkedIn's versioned REST API requires on every call (platforms.md §4.1)."""
    return {
        "Authorization": f"Bearer {kit.required_setting(destination, 'access_token')}",
        "LinkedIn-Version": destination.setting("api_version", DEFAULT_API_VERSION),
        "X-Restli-Protocol-Version": "2.0.0",
        # LinkedIn: a batch needs this header and an {"elements": [...]} body (§4.2).
        "X-RestLi-Method": "BATCH_CREATE",
        "Content-Type": "application/json",
    }


def build_requests(
    batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
) -> list[kit.HttpRequest]:
    """One POST per ≤5,000 events, in order.

    LinkedIn has no test channel, so policy never lets a test_mode event through to here
    (reason no_test_channel); there is nothing to keep apart. The body is spliced from each
    event's canonical payload_json, never decoded and re-encoded, so it stays canonical.
    """
    if not batch:
        return []
    url = events_url(destination)
    request_headers = headers(destination)
    requests: list[kit.HttpRequest] = []
    for chunk in kit.chunks(batch, MAX_EVENTS_PER_REQUEST):
        body = b'{"elements":' + kit.json_array(prepared.payload_json for prepared in chunk) + b"}"
        requests.append(kit.post_request(url, request_headers, body, chunk))
    return requests
