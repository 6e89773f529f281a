"""The conversion strategy as a shared setting, changed and read through the gateway and the
`signalmesh strategy` command against a running mesh: policy decides with the change, the
change names the API client, and the comparison counts what each mode would have sent."""

from __future__ import annotations

import time

import grpc
import pytest
from signalmesh.interceptors import hash_api_key
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2, policy_pb2_grpc

from tests.integration.mesh.conftest import make_event
from tests.integration.mesh.test_cli import signalmesh
from tests.support.waiting import wait_until

ADMIN_KEY = "sm_admin_key_for_strategy_tests"
READER_KEY = "sm_reader_key_for_strategy_tests"


@pytest.fixture
def mesh_overrides():
    return {
        "clients": [
            {
                "name": "ops-admin",
                "key_sha256": hash_api_key(ADMIN_KEY),
                "scopes": ["events:write", "events:read", "admin"],
            },
            {"name": "dashboard", "key_sha256": hash_api_key(READER_KEY), "scopes": ["events:read"]},
        ]
    }


def admin(mesh) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {ADMIN_KEY}"),)


@pytest.fixture(autouse=True)
def send_as_admin(mesh) -> None:
    """``mesh.send`` and ``mesh.status`` use the admin's key (no local key with [[clients]])."""
    mesh.metadata = admin(mesh)


async def cli(mesh, action: str, *arguments: str, key: str = ADMIN_KEY) -> tuple[int, str]:
    return await signalmesh("strategy", action, *arguments, "--gateway", mesh.gateway.address, "--key", key)


def clicked(event_id: str, value: str) -> event_pb2.ConversionEvent:
    fbc = f"fb.1.{int(time.time() * 1000)}.strategy"
    return make_event(event_id, click_ids=event_pb2.ClickIds(fbc=fbc), value=value, currency="EUR")


async def decision_at(mesh, event_id: str, destination: str) -> gateway_pb2.DestinationDecision:
    """What the mesh would decide now for an organic purchase (a dry run: nothing claimed)."""
    response = await mesh.stub.CheckEvent(
        gateway_pb2.CheckEventRequest(event=make_event(event_id)), metadata=admin(mesh), timeout=10
    )
    [decision] = [item for item in response.result.decisions if item.destination == destination]
    return decision


async def test_set_through_the_cli_makes_an_organic_purchase_send_and_records_the_client(mesh):
    code, output = await cli(mesh, "show")
    assert code == 0, output
    assert "meta_strict" in output and "the global default" in output and "signalmesh.toml" in output
    assert "no changes yet" in output and "What each mode means" in output and "fbc present" in output
    assert (await decision_at(mesh, "organic-0", "meta_strict")).reason == policy_pb2.REASON_MISSING_CLICK_ID

    code, output = await cli(mesh, "set", "--destination", "meta_strict", "send_all")
    assert code == 0, output
    assert "ops-admin set meta_strict: strict → send_all" in output

    async def sends() -> bool:
        decision = await decision_at(mesh, "organic-probe", "meta_strict")
        return decision.decision == policy_pb2.DECISION_SEND

    await wait_until(sends, 5, "policy never decided with the stored strategy")
    await mesh.send(make_event("organic-1"))
    await mesh.wait_delivered("organic-1", "meta_strict")

    code, output = await cli(mesh, "show", key=READER_KEY)
    assert code == 0, output
    assert "store" in output and "ops-admin" in output and "strict → send_all" in output
    overview = await mesh.stub.GetStrategy(policy_pb2.GetStrategyRequest(), metadata=admin(mesh), timeout=10)
    [change] = overview.changes
    assert (change.actor, change.destination) == ("ops-admin", "meta_strict")
    assert (change.previous, change.strategy) == (policy_pb2.STRATEGY_STRICT, policy_pb2.STRATEGY_SEND_ALL)
    assert overview.effective.destination_overrides["meta_strict"] == policy_pb2.STRATEGY_SEND_ALL
    assert overview.effective.default_strategy == policy_pb2.STRATEGY_STRICT


async def test_policy_get_strategy_returns_the_effective_setting(mesh):
    await mesh.stub.UpdateStrategy(
        policy_pb2.UpdateStrategyRequest(strategy=policy_pb2.STRATEGY_SEND_ALL),
        metadata=admin(mesh),
        timeout=10,
    )
    async with grpc.aio.insecure_channel(mesh.policy.address) as channel:
        settings = await policy_pb2_grpc.PolicyStub(channel).GetStrategy(
            policy_pb2.GetStrategyRequest(), timeout=10
        )
    assert settings.default_strategy == policy_pb2.STRATEGY_SEND_ALL
    # meta_send_all sets its own strategy in the file; the global change leaves it as it is.
    assert settings.destination_overrides["meta_send_all"] == policy_pb2.STRATEGY_SEND_ALL


async def test_changing_the_strategy_needs_the_admin_scope_and_a_known_destination(mesh):
    code, output = await cli(mesh, "set", "send_all", key=READER_KEY)
    assert code == 2 and "PERMISSION_DENIED" in output and "admin" in output
    code, output = await cli(mesh, "set", "--destination", "nowhere", "send_all")
    assert code == 1 and "NOT_FOUND" in output and "nowhere" in output
    code, output = await cli(mesh, "set")
    assert code == 2 and "mode" in output and "strict" in output
    overview = await mesh.stub.GetStrategy(policy_pb2.GetStrategyRequest(), metadata=admin(mesh), timeout=10)
    assert list(overview.changes) == []


async def test_compare_counts_what_each_mode_sends_and_its_value(mesh):
    response = await mesh.send(
        clicked("cmp-clicked", "10.00"), make_event("cmp-organic", value="5.50", currency="EUR")
    )
    assert response.accepted == 2

    code, output = await cli(mesh, "compare", "--since", "1h", key=READER_KEY)
    assert code == 0, output
    [meta_strict] = [line for line in output.splitlines() if "meta_strict" in line and "│" in line]
    cells = [cell.strip() for cell in meta_strict.strip("│ ").split("│")]
    # destination, in effect, strict events, strict value, send_all events, send_all value, adds
    assert cells == ["meta_strict", "strict", "1", "10.00 EUR", "2", "15.50 EUR", "+1"]
