"""build_requests(): signed POSTs of {"events": [...]}, chunked at 500, test apart from production,
byte-stable."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

from signalmesh_webhook.connector import WebhookConnector

MakeEvent = Callable[..., event_pb2.ConversionEvent]
SECRET = "whsec-0123456789"  # the conftest destination's secret


def prepare_many(
    connector: WebhookConnector,
    destination: Destination,
    make_event: MakeEvent,
    count: int,
    *,
    test_mode: bool = False,
) -> list[event_pb2.PreparedEvent]:
    user = event_pb2.UserData(emails=["a@example.com"])
    prefix = "test" if test_mode else "prod"
    return [
        connector.prepare(make_event(f"{prefix}-{index}", user_data=user, test_mode=test_mode), destination)
        for index in range(count)
    ]


def expected_signature(secret: str, body: bytes) -> str:
    """What a receiver computes (README "Verifying requests"), written out independently."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_request_is_a_json_post_to_the_url_signed_over_the_exact_body(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 2), destination)
    assert (request.method, request.url) == ("POST", "https://crm.example.com/hooks/conversions")
    assert request.event_ids == ("prod-0", "prod-1")
    assert request.headers == {
        "Content-Type": "application/json",
        "X-SignalMesh-Signature": expected_signature(SECRET, request.body),
    }
    assert [event["event_id"] for event in json.loads(request.body)["events"]] == ["prod-0", "prod-1"]


def test_signature_changes_with_the_secret_and_with_any_byte_of_the_body(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = prepare_many(connector, destination, make_event, 1)
    [request] = connector.build_requests(batch, destination)
    rotated = replace(destination, settings={**destination.settings, "secret": "another-secret"})
    [resigned] = connector.build_requests(batch, rotated)
    assert resigned.body == request.body
    assert resigned.headers["X-SignalMesh-Signature"] == expected_signature("another-secret", request.body)
    assert resigned.headers["X-SignalMesh-Signature"] != request.headers["X-SignalMesh-Signature"]
    tampered = request.body.replace(b"prod-0", b"prod-9")
    assert not hmac.compare_digest(
        expected_signature(SECRET, tampered), request.headers["X-SignalMesh-Signature"]
    )


def test_signature_header_name_comes_from_the_destination(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    custom = replace(
        destination, settings={**destination.settings, "signature_header": "X-Hub-Signature-256"}
    )
    [request] = connector.build_requests(prepare_many(connector, custom, make_event, 1), custom)
    assert request.headers["X-Hub-Signature-256"] == expected_signature(SECRET, request.body)
    assert "X-SignalMesh-Signature" not in request.headers


def test_same_batch_gives_byte_identical_requests_without_timestamps(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    first = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    second = connector.build_requests(prepare_many(connector, destination, make_event, 3), destination)
    assert first == second
    body = first[0].body
    assert (
        body
        == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_1201_events_become_requests_of_500_500_and_201_in_order(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    batch = prepare_many(connector, destination, make_event, 1201)
    requests = connector.build_requests(batch, destination)
    assert [len(request.event_ids) for request in requests] == [500, 500, 201]
    assert [event_id for request in requests for event_id in request.event_ids] == [p.event_id for p in batch]
    for request in requests:
        assert [event["event_id"] for event in json.loads(request.body)["events"]] == list(request.event_ids)


def test_test_events_go_to_the_test_url_never_with_production_events(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    production = prepare_many(connector, destination, make_event, 2)
    test = prepare_many(connector, destination, make_event, 2, test_mode=True)
    requests = connector.build_requests([test[0], production[0], test[1], production[1]], destination)
    assert [(request.url, request.event_ids) for request in requests] == [
        ("https://crm.example.com/hooks/test", ("test-0", "test-1")),
        ("https://crm.example.com/hooks/conversions", ("prod-0", "prod-1")),
    ]
    assert all(event["test_mode"] for event in json.loads(requests[0].body)["events"])


def test_empty_batch_builds_no_request(connector: WebhookConnector, destination: Destination) -> None:
    assert connector.build_requests([], destination) == []


@pytest.mark.parametrize("missing", ["url", "secret"])
def test_missing_url_or_secret_is_a_configuration_bug(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent, missing: str
) -> None:
    broken = replace(destination, settings={k: v for k, v in destination.settings.items() if k != missing})
    with pytest.raises(ValueError, match=missing):
        connector.build_requests(prepare_many(connector, broken, make_event, 1), broken)


def test_readme_verification_snippet_accepts_our_requests_and_refuses_tampered_ones(
    connector: WebhookConnector, destination: Destination, make_event: MakeEvent
) -> None:
    """The receiver's code in the README runs as documented against what we send."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Verifying requests", 1)[1]
    snippet = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    verified_events = namespace["verified_events"]

    [request] = connector.build_requests(prepare_many(connector, destination, make_event, 2), destination)
    header = request.headers["X-SignalMesh-Signature"]
    events = verified_events(request.body, header, SECRET)
    assert [event["event_id"] for event in events] == ["prod-0", "prod-1"]
    with pytest.raises(ValueError, match="bad signature"):
        verified_events(request.body.replace(b"prod-1", b"prod-2"), header, SECRET)
    with pytest.raises(ValueError, match="bad signature"):
        verified_events(request.body, header, "wrong-secret")
