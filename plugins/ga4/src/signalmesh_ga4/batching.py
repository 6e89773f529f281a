"""Prepared events → GA4 ``/mp/collect`` requests: one person per request, ≤ 25 events, < 130 kB. Pure.

GA4 takes one ``client_id`` (and ``user_id``, ``user_data``, ``consent``) per request
(platforms.md §2A "Body"), so events are grouped by their byte-identical request-level part
first, then chunked by count and body size. Test events (``test_mode`` on the event, or every
event of a destination with ``test_mode = true``) go to the validation server
``/debug/mp/collect`` and never share a request with production events.

The body is spliced from canonical JSON pieces in sorted key order, so it is itself canonical
(sorted keys, no spaces) and the same batch always gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlencode

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

DEFAULT_BASE_URL = "https://www.google-analytics.com"
COLLECT_PATH = "/mp/collect"
VALIDATION_PATH = "/debug/mp/collect"
# GA4: at most 25 events per request (§2A "Body", §6.3).
MAX_EVENTS_PER_REQUEST = 25
# GA4: the POST body must be under 130 kB (§2A); read as 130,000 bytes, the stricter reading.
MAX_BODY_BYTES = 130_000

_Piece = tuple[str, bytes]  # (event id, the event's canonical JSON)


def collect_url(destination: kit.Destination, *, validate: bool) -> str:
    # GA4: POST {base}/mp/collect?measurement_id=…&api_secret=…; validation: /debug/mp/collect,
    # same query and body (§2A "Endpoint"). GA4 takes the secret only in the query string.
    base_url = destination.setting("base_url", DEFAULT_BASE_URL).rstrip("/")
    query = urlencode(
        {
            "measurement_id": kit.required_setting(destination, "measurement_id"),
            "api_secret": kit.required_setting(destination, "api_secret"),
        }
    )
    return f"{base_url}{VALIDATION_PATH if validate else COLLECT_PATH}?{query}"


def build_requests(
    batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
) -> list[kit.HttpRequest]:
    """Group by (endpoint, request-level part) in order of first appearance, then chunk each group."""
    groups: dict[tuple[bool, bytes], list[_Piece]] = {}
    for prepared in batch:
        payload = json.loads(prepared.payload_json)
        # Re-encoding canonical JSON gives the same bytes back, so the request part is a key.
        request_part = kit.canonical_json(payload["request"])
        event_part = kit.canonical_json(payload["event"])
        # The gateway already marks every event of a test-mode destination; checking the
        # destination too means a test destination can never send live, whoever calls this.
        validate = prepared.test_mode or destination.test_mode
        groups.setdefault((validate, request_part), []).append((prepared.event_id, event_part))
    if not groups:
        return []
    headers = {"Content-Type": "application/json"}
    urls = {validate: collect_url(destination, validate=validate) for validate, _ in groups}
    requests: list[kit.HttpRequest] = []
    for (validate, request_part), pieces in groups.items():
        for chunk in _chunks(request_part, pieces):
            requests.append(
                kit.HttpRequest(
                    method="POST",
                    url=urls[validate],
                    headers=dict(headers),
                    body=request_body(request_part, [event for _, event in chunk]),
                    event_ids=tuple(event_id for event_id, _ in chunk),
                )
            )
    return requests


def request_body(request_part: bytes, events: Sequence[bytes]) -> bytes:
    """``{...request-level fields, "events": [...]}`` as canonical JSON, without re-encoding events."""
    fields = {key: kit.canonical_json(value) for key, value in json.loads(request_part).items()}
    fields["events"] = kit.json_array(events)
    return b"{" + b",".join(kit.canonical_json(key) + b":" + fields[key] for key in sorted(fields)) + b"}"


def _chunks(request_part: bytes, pieces: list[_Piece]) -> list[list[_Piece]]:
    """Consecutive runs of ≤ 25 events whose body stays under 130 kB.

    An event too big to fit under the limit even alone is sent alone: GA4 drops it, and in test
    mode the validation server says why; splitting cannot help it.
    """
    empty_body = len(request_body(request_part, []))
    chunks: list[list[_Piece]] = []
    current: list[_Piece] = []
    size = empty_body
    for piece in pieces:
        # Each event adds its bytes, plus a comma after the first.
        added = len(piece[1]) + (1 if current else 0)
        if current and (len(current) == MAX_EVENTS_PER_REQUEST or size + added >= MAX_BODY_BYTES):
            chunks.append(current)
            current, size, added = [], empty_body, len(piece[1])
        current.append(piece)
        size += added
    if current:
        chunks.append(current)
    return chunks
