"""Nothing lost, nothing doubled: retries, expiry, dead letters, isolation, paused credentials,
backpressure and duplicate storms — against the sandbox's real fault injection."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, STRICT_PIXEL, make_event, timestamp
from tests.support.waiting import wait_until

DELIVERED = gateway_pb2.DELIVERY_STATE_DELIVERED
RETRYING = gateway_pb2.DELIVERY_STATE_RETRYING
DEAD = gateway_pb2.DELIVERY_STATE_DEAD_LETTERED
REJECTED = gateway_pb2.DELIVERY_STATE_REJECTED


def clicked(event_id: str, **fields) -> event_pb2.ConversionEvent:
    return make_event(
        event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.x"), **fields
    )


@pytest.fixture
def mesh_overrides(tmp_path):
    token_file = tmp_path / "meta-token"
    token_file.write_text("sandbox-token")
    return {
        "dispatcher": {"breaker_threshold": 3, "breaker_cooldown": "200ms", "concurrency": 2},
        "gateway": {"max_outbox_depth": 50},
        "destinations": {"meta_strict": {"access_token": f"file:{token_file}"}},
    }


async def test_one_bad_event_is_rejected_alone_and_the_rest_of_its_batch_is_delivered(mesh):
    # A Lead whose value came as text in custom_properties: the gateway passes custom properties
    # through, Meta (the sandbox) wants custom_data.value a number and refuses the event.
    value_as_text = struct_pb2.Struct()
    value_as_text.update({"value": "29.99"})
    bad = clicked(
        "batch-bad",
        destinations=["meta_strict"],
        event_name="Lead",
        value="",
        custom_properties=value_as_text,
    )
    good = [clicked(f"batch-good-{index}", destinations=["meta_strict"]) for index in range(5)]
    await mesh.send(*good[:2], bad, *good[2:])
    statuses = await mesh.wait_for_states("batch-bad", lambda states: states.get("meta_strict") == REJECTED)
    assert "custom_data.value" in statuses["meta_strict"].platform_response
    for event in good:
        await mesh.wait_delivered(event.event_id, "meta_strict")
    recorded = {event["event_id"] for event in (await mesh.sandbox.events("meta", STRICT_PIXEL)).events}
    assert recorded == {event.event_id for event in good}
    # The refusal is kept as a dead letter: the platform's answer and the request it refused.
    letters = await mesh.stub.ListDeadLetters(
        gateway_pb2.ListDeadLettersRequest(), metadata=mesh.metadata, timeout=5
    )
    [letter] = letters.dead_letters
    assert (letter.event_id, letter.state) == ("batch-bad", REJECTED)
    assert "custom_data.value" in letter.reason
    assert '"event_id":"batch-bad"' in letter.last_request.replace(" ", "")


async def test_an_event_that_would_age_out_while_retrying_is_dead_lettered_as_expired(mesh):
    await mesh.sandbox.inject(platform="meta", status=503, destination=STRICT_PIXEL)
    almost_too_old = time.time() - 7 * 86400 + 1.5
    await mesh.send(clicked("ageing-1", destinations=["meta_strict"], event_time=timestamp(almost_too_old)))
    statuses = await mesh.wait_for_states(
        "ageing-1", lambda states: states.get("meta_strict") == DEAD, timeout=15
    )
    assert statuses["meta_strict"].platform_response.startswith(
        "expired: the platform accepts events up to 7 days old"
    )
    letters = await mesh.stub.ListDeadLetters(
        gateway_pb2.ListDeadLettersRequest(reason_contains="expired"), metadata=mesh.metadata, timeout=5
    )
    assert [letter.event_id for letter in letters.dead_letters] == ["ageing-1"]


async def test_a_slow_platform_does_not_delay_the_other_destination(mesh):
    await mesh.sandbox.inject(platform="meta", latency_ms=3000, destination=STRICT_PIXEL)
    events = [clicked(f"isolated-{index}") for index in range(20)]
    await mesh.send(*events)
    for event in events:
        await mesh.wait_delivered(event.event_id, "meta_send_all", timeout=2.5)
    # Every send_all delivery finished while the strict pixel's first request was still hanging.
    assert (await mesh.sandbox.events("meta", STRICT_PIXEL)).events == []
    assert len((await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events) == 20


async def test_revoked_credentials_pause_the_destination_and_a_rotated_token_resumes_it(mesh, tmp_path):
    await mesh.sandbox.change_tokens(revoke=["sandbox-token"], accept=["send-all-token"])
    await mesh.send(
        clicked("paused-1", destinations=["meta_strict"]), clicked("paused-2", destinations=["meta_strict"])
    )
    statuses = await mesh.wait_for_states("paused-1", lambda states: states.get("meta_strict") == RETRYING)
    assert (
        "destination paused: the platform refused the credentials"
        in statuses["meta_strict"].platform_response
    )
    assert "code 190" in statuses["meta_strict"].platform_response
    assert mesh.gateway.dispatcher.breakers["meta_strict"].state.value in ("open", "half_open")
    requests_while_paused = (await mesh.sandbox.stats())["meta"]["requests"]
    breaker = mesh.gateway.dispatcher.breakers["meta_strict"]
    paused_at, cooldown = breaker.opened_at, mesh.config.dispatcher.breaker_cooldown_seconds

    async def reopened_two_cooldowns_later() -> bool:
        # Each failed probe reopens the breaker: by then at least two probes, one per cooldown.
        return breaker.opened_at - paused_at >= 2 * cooldown

    await wait_until(reopened_two_cooldowns_later, 5, "the paused destination was never probed")
    # Two cooldowns of probing (200 ms each): one probe each, never a flood.
    assert (await mesh.sandbox.stats())["meta"]["requests"] - requests_while_paused <= 4
    # The operator rotates the token: the platform accepts the new one, the secret file holds it.
    await mesh.sandbox.change_tokens(accept=["rotated-token"])
    (tmp_path / "meta-token").write_text("rotated-token")
    await mesh.wait_delivered("paused-1", "meta_strict")
    await mesh.wait_delivered("paused-2", "meta_strict")
    assert mesh.gateway.dispatcher.breakers["meta_strict"].state.value == "closed"


async def test_a_full_outbox_answers_resource_exhausted_with_a_retry_hint_and_accepts_nothing(mesh):
    await mesh.sandbox.inject(platform="meta", latency_ms=10_000)
    await mesh.send(*[clicked(f"fill-{index}", destinations=["meta_strict"]) for index in range(50)])

    async def outbox_full() -> bool:
        return await mesh.gateway.store.outbox_depth() >= 50

    # What the refusal rests on: the store holds the limit's worth (the gateway re-reads the depth
    # at most every 250 ms and counts its own writes in between, so it knows without a re-read).
    await wait_until(outbox_full, 5, "the outbox never held 50 entries")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await mesh.send(clicked("overflow-1"))
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    [detail] = rpc_status.from_call(error.value).details
    retry = error_details_pb2.RetryInfo()
    assert detail.Unpack(retry) and retry.retry_delay.seconds > 0
    with pytest.raises(grpc.aio.AioRpcError):
        await mesh.status("overflow-1")


async def test_a_duplicate_storm_costs_no_extra_platform_call(mesh):
    # 40 ids x 50 concurrent repeats (2,000 sends); 40 stays under this module's outbox limit of 50.
    events = [clicked(f"storm-{index}", destinations=["meta_send_all"]) for index in range(40)]
    responses = await asyncio.gather(*(mesh.send(*events) for _ in range(50)))
    sends = sum(
        1
        for response in responses
        for result in response.results
        for decision in result.decisions
        if decision.decision == policy_pb2.DECISION_SEND
    )
    assert sends == 40
    for event in events:
        await mesh.wait_delivered(event.event_id, "meta_send_all")
    stats = (await mesh.sandbox.stats())["meta"]
    assert stats["accepted_events"] == 40 and stats["duplicates"] == 0


async def test_a_claim_orphaned_between_decision_and_outbox_write_does_not_lose_the_retry(mesh):
    """Policy claimed the dedup key, then the gateway died before its outbox write (the client
    never heard back). The client's retry must be enqueued, not skipped as a duplicate of nothing."""
    event = clicked("orphan-1", destinations=["meta_strict"])
    claim = policy_pb2.DecisionInput(
        event_id=event.event_id,
        event_name=event.event_name,
        destination="meta_strict",
        connector="meta",
        event_time=event.event_time,
        action_source=event.action_source,
        identifiers=["fbc", "em", "client_user_agent", "client_ip_address", "event_source_url"],
    )
    [first] = await mesh.gateway.policy.decide([claim])
    assert first.decision == policy_pb2.DECISION_SEND  # the claim the dead gateway never wrote down

    response = await mesh.send(event)
    [decision] = response.results[0].decisions
    assert (decision.decision, decision.reason) == (policy_pb2.DECISION_SEND, policy_pb2.REASON_ELIGIBLE)
    assert "never reached the outbox" in decision.detail
    await mesh.wait_delivered("orphan-1", "meta_strict")
    # A genuine duplicate of a copy that is in the outbox stays a duplicate.
    again = await mesh.send(event)
    assert again.results[0].decisions[0].reason == policy_pb2.REASON_DUPLICATE
    assert [item["event_id"] for item in (await mesh.sandbox.events("meta", STRICT_PIXEL)).events] == [
        "orphan-1"
    ]
