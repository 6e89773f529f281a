"""A rotated ``file:`` secret is used from the next delivery on, without waiting for a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, make_event


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "meta-token"
    path.write_text("sandbox-token\n")
    return path


@pytest.fixture
def mesh_overrides(token_file: Path):
    return {"destinations": {"meta_send_all": {"access_token": f"file:{token_file}"}}}


async def test_the_next_delivery_after_a_rewrite_uses_the_new_token(mesh, token_file):
    first = await mesh.send(make_event("rotate-1"))
    assert first.accepted == 1
    await mesh.wait_delivered("rotate-1", "meta_send_all")
    # The platform side rotates: only the new token is accepted from now on.
    await mesh.sandbox.change_tokens(revoke=["sandbox-token"], accept=["rotated-token-2"])
    token_file.write_text("rotated-token-2\n")
    second = await mesh.send(make_event("rotate-2"))
    assert second.accepted == 1
    statuses = await mesh.wait_delivered("rotate-2", "meta_send_all")
    assert statuses["meta_send_all"].attempts == 1  # never refused: the new token went first
    recorded = (await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events
    assert [event["event_id"] for event in recorded] == ["rotate-1", "rotate-2"]
