"""Dead letters keep their reason; `replay` puts them back with the original event id."""

from __future__ import annotations

import json
import time

import pytest
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import STRICT_PIXEL, make_event
from tests.integration.mesh.test_cli import signalmesh

DEAD = gateway_pb2.DELIVERY_STATE_DEAD_LETTERED


@pytest.fixture
def mesh_overrides():
    return {"dispatcher": {"max_attempts": 2}}


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(
        event_id,
        destinations=["meta_strict"],
        click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.x"),
    )


async def test_an_entry_that_exhausts_its_attempts_is_dead_lettered_and_replayed(mesh):
    await mesh.sandbox.inject(platform="meta", status=503, destination=STRICT_PIXEL)
    await mesh.send(clicked("dlq-1"), clicked("dlq-2"))
    for event_id in ("dlq-1", "dlq-2"):
        statuses = await mesh.wait_for_states(event_id, lambda states: states.get("meta_strict") == DEAD)
        assert statuses["meta_strict"].platform_response.startswith("gave up after 2 attempts · retry")
    letters = (
        await mesh.stub.ListDeadLetters(
            gateway_pb2.ListDeadLettersRequest(destination="meta_strict"), metadata=mesh.metadata, timeout=5
        )
    ).dead_letters
    assert sorted(letter.event_id for letter in letters) == ["dlq-1", "dlq-2"]
    assert all(
        (letter.attempts == 2 and "503" in letter.reason) or "retry" in letter.reason for letter in letters
    )
    # The last request is kept: rebuilt from the stored (hashed) event, without credentials.
    method_and_url, body = letters[0].last_request.split("\n", 1)
    assert (
        method_and_url
        == f"POST {mesh.config.destinations['meta_strict'].settings['base_url']}/v25.0/{STRICT_PIXEL}/events"
    )
    assert [event["event_id"] for event in json.loads(body)["data"]] == [letters[0].event_id]
    assert "sandbox-token" not in letters[0].last_request and "jane.doe" not in letters[0].last_request
    await mesh.sandbox.clear_faults()

    replayed = await mesh.stub.ReplayDeadLetters(
        gateway_pb2.ReplayDeadLettersRequest(entry_ids=[letters[0].entry_id]),
        metadata=mesh.metadata,
        timeout=5,
    )
    assert replayed.replayed == 1
    await mesh.wait_delivered(letters[0].event_id, "meta_strict")
    # The CLI replays the rest (admin scope: the local key has every scope).
    code, output = await signalmesh(
        "dlq", "list", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0 and letters[1].event_id in output and letters[0].event_id not in output
    code, output = await signalmesh(
        "dlq", "list", "--json", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0 and json.loads(output)["lastRequest"].startswith("POST ")
    code, output = await signalmesh(
        "dlq", "replay", "--all", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0 and "replayed 1" in output
    await mesh.wait_delivered(letters[1].event_id, "meta_strict")
    recorded = sorted(event["event_id"] for event in (await mesh.sandbox.events("meta", STRICT_PIXEL)).events)
    assert recorded == ["dlq-1", "dlq-2"]
