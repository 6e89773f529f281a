"""Prepared events → TikTok ``/event/track/`` requests: one event source and one mode per request. Pure.

A TikTok request names a single ``event_source`` for all of its ``data`` and is either a test
or a production request (platforms.md §3.2), so the batch is grouped by (test mode, event
source) in order of first appearance, then chunked at 1,000. The body is spliced from each
event's canonical payload_json with keys in sorted order, so it is byte-stable across retries.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_tiktok.payload import event_source

DEFAULT_BASE_URL = "https://business-api.tiktok.com"
# TikTok Events API 2.0 (§3.1); the legacy pixel/track and pixel/batch endpoints are not used.
TRACK_PATH = "/open_api/v1.3/event/track/"
# TikTok: up to 1,000 events per request (§3.3, RudderStack and Hightouch).
MAX_EVENTS_PER_REQUEST = 1000


def track_url(destination: kit.Destination) -> str:
    return destination.setting("base_url", DEFAULT_BASE_URL).rstrip("/") + TRACK_PATH


def build_requests(
    batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
) -> list[kit.HttpRequest]:
    """One POST per ≤1,000 events of one (test mode, event source) group, groups in input order."""
    url = track_url(destination)
    headers = {
        # TikTok: the token travels in the Access-Token header (§3.1).
        "Access-Token": kit.required_setting(destination, "access_token"),
        "Content-Type": "application/json",
    }
    pixel_code = kit.canonical_json(kit.required_setting(destination, "pixel_code"))
    test_event_code = destination.setting("test_event_code")
    groups = kit.groups_in_order(
        batch, lambda prepared: (prepared.test_mode, event_source(prepared.action_source))
    )
    requests: list[kit.HttpRequest] = []
    for (test_mode, source), group in groups.items():
        for chunk in kit.chunks(group, MAX_EVENTS_PER_REQUEST):
            # Sorted keys: data < event_source < event_source_id < test_event_code.
            body = (
                b'{"data":'
                + kit.json_array(prepared.payload_json for prepared in chunk)
                + b',"event_source":'
                + kit.canonical_json(source)
                + b',"event_source_id":'
                + pixel_code
            )
            if test_mode and test_event_code:
                # TikTok: test_event_code routes the request to Events Manager → Test Events (§3.2).
                body += b',"test_event_code":' + kit.canonical_json(test_event_code)
            requests.append(kit.post_request(url, headers, body + b"}", chunk))
    return requests
