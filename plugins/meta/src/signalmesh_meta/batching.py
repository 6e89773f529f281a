"""Prepared events → Meta ``/events`` requests: chunked, test and production apart, byte-stable. Pure.

The body is deterministic (sorted keys, compact separators) so the same batch always produces
the same bytes: retries are identical and tests can compare bodies exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

DEFAULT_API_VERSION = "v25.0"
DEFAULT_BASE_URL = "https://graph.facebook.com"
# Meta: up to 1,000 events in one request's data array (platforms.md §1.8).
MAX_EVENTS_PER_REQUEST = 1000


def events_url(destination: kit.Destination) -> str:
    # Meta: POST https://graph.facebook.com/{API_VERSION}/{PIXEL_ID}/events
    base_url = destination.setting("base_url", DEFAULT_BASE_URL).rstrip("/")
    api_version = destination.setting("api_version", DEFAULT_API_VERSION)
    return f"{base_url}/{api_version}/{kit.required_setting(destination, 'pixel_id')}/events"


def build_requests(
    batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
) -> list[kit.HttpRequest]:
    """One POST per ≤1,000 events; test events and production events never share a request.

    The body is spliced from each event's canonical payload_json, never decoded and re-encoded:
    sorted keys ("data" < "test_event_code") keep it canonical and byte-stable.
    """
    url = events_url(destination)
    headers = {
        # Meta: Graph API accepts the token as a Bearer header, which keeps it out of the URL.
        "Authorization": f"Bearer {kit.required_setting(destination, 'access_token')}",
        "Content-Type": "application/json",
    }
    test_event_code = destination.setting("test_event_code")
    requests: list[kit.HttpRequest] = []
    for test_mode, group in kit.groups_in_order(batch, lambda prepared: prepared.test_mode).items():
        for chunk in kit.chunks(group, MAX_EVENTS_PER_REQUEST):
            body = b'{"data":' + kit.json_array(prepared.payload_json for prepared in chunk)
            if test_mode and test_event_code:
                # Meta: test_event_code routes the request to Events Manager → Test Events.
                body += b',"test_event_code":' + kit.canonical_json(test_event_code)
            requests.append(kit.post_request(url, headers, body + b"}", chunk))
    return requests
