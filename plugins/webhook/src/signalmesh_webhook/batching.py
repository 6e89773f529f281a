"""Prepared events → signed POSTs of ``{"events": [...]}``: chunked, test apart from production. Pure.

The signature is an HMAC-SHA256 of the exact body bytes with the destination's secret, so a
receiver can prove the request came from us and was not altered. No timestamp or nonce is
added: the same batch must give the same request, byte for byte, so a retry is identical (the
receiver deduplicates on ``event_id``; README "Verifying requests").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

# Large enough for efficient warehouse loads, small enough (~1 MB) for any HTTP server's default.
MAX_EVENTS_PER_REQUEST = 500
DEFAULT_SIGNATURE_HEADER = "X-SignalMesh-Signature"
SIGNATURE_PREFIX = "sha256="


def signature(secret: str, body: bytes) -> str:
    """``sha256=<lower-case hex HMAC-SHA256 of body keyed with secret>``, the header's value."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def build_requests(
    batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
) -> list[kit.HttpRequest]:
    """One POST per ≤500 events; test_mode events go to ``test_url`` and never share a request
    with production events. Without a ``test_url`` the policy skips test events, so none arrive;
    were one to, it still carries ``"test_mode": true`` for the receiver to see."""
    production_url = kit.required_setting(destination, "url")
    test_url = destination.setting("test_url") or production_url
    secret = kit.required_setting(destination, "secret")
    signature_header = destination.setting("signature_header", DEFAULT_SIGNATURE_HEADER)
    requests: list[kit.HttpRequest] = []
    for test_mode, group in kit.groups_in_order(batch, lambda prepared: prepared.test_mode).items():
        for chunk in kit.chunks(group, MAX_EVENTS_PER_REQUEST):
            # Spliced from each event's canonical payload_json: one key, so still canonical.
            body = b'{"events":' + kit.json_array(prepared.payload_json for prepared in chunk) + b"}"
            headers = {"Content-Type": "application/json", signature_header: signature(secret, body)}
            requests.append(kit.post_request(test_url if test_mode else production_url, headers, body, chunk))
    return requests
