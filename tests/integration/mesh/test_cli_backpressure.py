"""`signalmesh send` against a full outbox: it waits as the gateway's retry hint says and sends
again, so a large file gets through a slow platform without losing or repeating a line."""

from __future__ import annotations

import pytest
import structlog.testing

from tests.integration.mesh.conftest import SEND_ALL_PIXEL
from tests.integration.mesh.test_cli import clicked, events_file, signalmesh


@pytest.fixture
def mesh_overrides():
    return {"gateway": {"max_outbox_depth": 50}}


async def test_send_waits_out_a_full_outbox_and_every_line_is_accepted_once(mesh, tmp_path):
    await mesh.sandbox.inject(platform="meta", latency_ms=300)  # the outbox drains slowly
    events = [clicked(f"patient-{index}") for index in range(90)]
    path = events_file(tmp_path, *events)
    arguments = ("--batch-size", "30", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key)
    with structlog.testing.capture_logs() as logs:  # the gateway runs in this process
        code, output = await signalmesh("send", str(path), *arguments)
    assert code == 0, output
    assert "90 accepted, 0 rejected of 90" in output
    # The gateway did push back (30 events are 60 entries, past the limit of 50) and the CLI
    # came back: one log line per call, refusals included.
    calls = [line["code"] for line in logs if str(line.get("rpc.method", "")).endswith("/SendEvents")]
    assert "RESOURCE_EXHAUSTED" in calls and calls.count("OK") == 3, calls
    for event in events:
        await mesh.wait_delivered(event.event_id, "meta_send_all", timeout=30)
    recorded = (await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events
    assert sorted(item["event_id"] for item in recorded) == sorted(event.event_id for event in events)
