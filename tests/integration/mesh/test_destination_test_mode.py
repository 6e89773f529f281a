"""A destination configured with test_mode = true sends every event to its test channel."""

from __future__ import annotations

import pytest

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, make_event


@pytest.fixture
def mesh_overrides():
    return {"destinations": {"meta_send_all": {"test_mode": True}}}


async def test_a_test_mode_destination_never_sends_live(mesh):
    await mesh.send(make_event("staging-1"))
    await mesh.wait_delivered("staging-1", "meta_send_all")
    assert (await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events == []
    assert len((await mesh.sandbox.events("meta", SEND_ALL_PIXEL, test=True)).events) == 1
