"""Prepared events → ``uploadClickConversions`` requests: chunked, test apart from live, byte-stable. Pure.

The body is spliced from each event's canonical ``payload_json`` (sorted keys, no spaces), so the
same batch always produces the same bytes: retries are identical and tests compare bodies exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalmesh.connector import kit
from signalmesh.v1 import event_pb2

from signalmesh_google_ads import settings

# Google Ads: at most 2,000 conversions per request; more fails with
# TOO_MANY_CONVERSIONS_IN_REQUEST (platforms.md §2B).
MAX_CONVERSIONS_PER_REQUEST = 2000
# Google Ads: partial_failure is required and must be true (PARTIAL_FAILURE_MODE_REQUIRED), so
# one bad row never sinks the others; validate_only is the dry run that records nothing (§2B).
# Keys in sorted order after "conversions", so the spliced body stays canonical JSON.
_PRODUCTION_TAIL = b',"partialFailure":true,"validateOnly":false}'
_VALIDATE_ONLY_TAIL = b',"partialFailure":true,"validateOnly":true}'


def headers(destination: kit.Destination) -> dict[str, str]:
    """Google Ads REST headers: OAuth bearer token, developer token, manager account when set."""
    result = {
        "Authorization": f"Bearer {kit.required_setting(destination, 'access_token')}",
        "developer-token": kit.required_setting(destination, "developer_token"),
        "Content-Type": "application/json",
    }
    # Google Ads: login-customer-id, digits only, when acting through a manager (MCC) account.
    if (manager := settings.login_customer_id(destination)) is not None:
        result["login-customer-id"] = manager
    return result


def build_requests(
    batch: Sequence[event_pb2.PreparedEvent], destination: kit.Destination
) -> list[kit.HttpRequest]:
    """One POST per ≤2,000 conversions; test events (validate_only) never share a request with live ones."""
    url = settings.upload_url(destination)
    request_headers = headers(destination)
    requests: list[kit.HttpRequest] = []
    for test_mode, group in kit.groups_in_order(batch, lambda prepared: prepared.test_mode).items():
        tail = _VALIDATE_ONLY_TAIL if test_mode else _PRODUCTION_TAIL
        for chunk in kit.chunks(group, MAX_CONVERSIONS_PER_REQUEST):
            body = b'{"conversions":' + kit.json_array(prepared.payload_json for prepared in chunk) + tail
            requests.append(kit.post_request(url, request_headers, body, chunk))
    return requests


def is_validate_only(request: kit.HttpRequest) -> bool:
    """Whether ``request`` was built as a validate_only (test) upload by ``build_requests``."""
    return request.body.endswith(_VALIDATE_ONLY_TAIL)
