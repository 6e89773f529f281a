"""One event's path through the real mesh: gateway → policy → outbox → dispatcher → sandbox."""

from __future__ import annotations

import asyncio
import time

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, STRICT_PIXEL, make_event, timestamp

SEND, SKIP = policy_pb2.DECISION_SEND, policy_pb2.DECISION_SKIP


def decisions(result: gateway_pb2.EventResult) -> dict[str, tuple[int, int]]:
    return {item.destination: (item.decision, item.reason) for item in result.decisions}


# An hour ago: a click older than 90 days is refused (it builds an fbc Meta refuses).
CLICK_SECONDS = int(time.time()) - 3600


def clicked(event_id: str, **fields) -> event_pb2.ConversionEvent:
    return make_event(
        event_id,
        click_ids=event_pb2.ClickIds(
            fbclid="IwAR_Case_Kept", click_time=Timestamp(seconds=CLICK_SECONDS, nanos=123_000_000)
        ),
        **fields,
    )


async def test_a_clicked_purchase_is_delivered_to_both_pixels_with_fbc_built_from_fbclid(mesh):
    response = await mesh.send(clicked("order-1"))
    assert response.accepted == 1
    assert decisions(response.results[0]) == {
        "meta_strict": (SEND, policy_pb2.REASON_ELIGIBLE),
        "meta_send_all": (SEND, policy_pb2.REASON_ELIGIBLE),
    }
    statuses = await mesh.wait_delivered("order-1", "meta_strict", "meta_send_all")
    assert statuses["meta_strict"].attempts == 1
    [recorded] = (await mesh.sandbox.events("meta", STRICT_PIXEL)).events
    assert recorded["user_data"]["fbc"] == f"fb.1.{CLICK_SECONDS}123.IwAR_Case_Kept"
    assert recorded["event_id"] == "order-1" and recorded["custom_data"]["value"] == 29.99


async def test_strict_skips_an_organic_purchase_that_send_all_delivers(mesh):
    response = await mesh.send(make_event("organic-1"))
    assert decisions(response.results[0]) == {
        "meta_strict": (SKIP, policy_pb2.REASON_MISSING_CLICK_ID),
        "meta_send_all": (SEND, policy_pb2.REASON_ELIGIBLE),
    }
    statuses = await mesh.wait_delivered("organic-1", "meta_send_all")
    assert statuses["meta_strict"].state == gateway_pb2.DELIVERY_STATE_SKIPPED
    assert (await mesh.sandbox.events("meta", STRICT_PIXEL)).events == []
    assert len((await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events) == 1


async def test_a_batch_with_one_bad_event_accepts_the_others(mesh):
    bad = make_event("bad-1", value="$29.99", currency="")
    response = await mesh.send(clicked("good-1"), bad, clicked("good-2"))
    assert (response.accepted, response.rejected) == (2, 1)
    rejected = response.results[1]
    assert rejected.disposition == gateway_pb2.DISPOSITION_REJECTED and rejected.index == 1
    assert {item.field for item in rejected.violations} == {"value", "currency"}
    assert any("send 29.99" in item.description for item in rejected.violations)
    await mesh.wait_delivered("good-2", "meta_strict")


async def test_send_event_rejects_an_invalid_event_with_bad_request_details(mesh):
    bad = make_event("bad-2", value="29,99", user_data=event_pb2.UserData(emails=["nobody"]))
    try:
        await mesh.stub.SendEvent(gateway_pb2.SendEventRequest(event=bad), metadata=mesh.metadata, timeout=10)
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        status = rpc_status.from_call(error)
        bad_request = error_details_pb2.BadRequest()
        assert status.details[0].Unpack(bad_request)
        violations = {item.field: item.description for item in bad_request.field_violations}
        # The malformed email is optional: a warning, never a reason to refuse the event.
        assert set(violations) == {"value"}
        assert "send 29.99" in violations["value"]
    else:
        raise AssertionError("an invalid event was accepted")


async def test_the_same_event_is_sent_once_even_when_duplicates_arrive_concurrently(mesh):
    event = clicked("dup-1")
    calls = [
        mesh.stub.SendEvent(gateway_pb2.SendEventRequest(event=event), metadata=mesh.metadata, timeout=10)
        for _ in range(40)
    ]
    results = [response.result for response in await asyncio.gather(*calls)]
    sends = [result for result in results if decisions(result)["meta_strict"][0] == SEND]
    duplicates = [
        result
        for result in results
        if decisions(result)["meta_strict"] == (SKIP, policy_pb2.REASON_DUPLICATE)
    ]
    assert (len(sends), len(duplicates)) == (1, 39)
    await mesh.wait_delivered("dup-1", "meta_strict", "meta_send_all")
    later = await mesh.send(event)
    assert decisions(later.results[0])["meta_send_all"] == (SKIP, policy_pb2.REASON_DUPLICATE)
    recorded = await mesh.sandbox.events("meta", STRICT_PIXEL)
    assert len(recorded.events) == 1 and recorded.duplicates == 0


async def test_stream_events_answers_each_event_in_order(mesh):
    events = [
        clicked(f"stream-{index}") if index % 3 else make_event(f"stream-{index}", value="x")
        for index in range(12)
    ]

    async def requests():
        for event in events:
            yield gateway_pb2.SendEventRequest(event=event)

    answers = [
        answer.result
        async for answer in mesh.stub.StreamEvents(requests(), metadata=mesh.metadata, timeout=20)
    ]
    assert [answer.event_id for answer in answers] == [event.event_id for event in events]
    assert [answer.index for answer in answers] == list(range(12))
    rejected = [
        answer.event_id for answer in answers if answer.disposition == gateway_pb2.DISPOSITION_REJECTED
    ]
    assert rejected == ["stream-0", "stream-3", "stream-6", "stream-9"]


async def test_check_event_previews_the_payload_and_claims_nothing(mesh):
    event = clicked("check-1")
    response = await mesh.stub.CheckEvent(
        gateway_pb2.CheckEventRequest(event=event), metadata=mesh.metadata, timeout=10
    )
    previews = {preview.destination: preview for preview in response.previews}
    assert previews["meta_strict"].decision == SEND
    assert previews["meta_strict"].url.endswith(f"/{STRICT_PIXEL}/events")
    assert "jane.doe@example.com" not in previews["meta_strict"].payload_json
    assert '"em"' in previews["meta_strict"].payload_json
    sent = await mesh.send(event)
    assert decisions(sent.results[0])["meta_strict"] == (SEND, policy_pb2.REASON_ELIGIBLE), (
        "the dry run claimed the dedup key"
    )
    try:
        await mesh.status("never-sent")
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
    else:
        raise AssertionError("status of an unknown event")


async def test_transient_platform_errors_are_retried_until_delivered(mesh):
    await mesh.sandbox.inject(platform="meta", status=500, count=2)
    await mesh.send(clicked("retry-1", destinations=["meta_strict"]))
    statuses = await mesh.wait_delivered("retry-1", "meta_strict")
    assert statuses["meta_strict"].attempts == 3


async def test_a_test_mode_event_goes_to_the_test_channel_and_not_production(mesh):
    await mesh.send(clicked("test-1", destinations=["meta_send_all"], test_mode=True))
    await mesh.wait_delivered("test-1", "meta_send_all")
    assert (await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events == []
    assert [
        event["event_id"] for event in (await mesh.sandbox.events("meta", SEND_ALL_PIXEL, test=True)).events
    ] == ["test-1"]
    production = await mesh.send(clicked("test-1", destinations=["meta_send_all"]))
    assert decisions(production.results[0])["meta_send_all"][0] == SEND, (
        "a test event claimed the production dedup key"
    )


async def test_an_event_too_old_for_meta_is_skipped_with_the_reason(mesh):
    response = await mesh.send(clicked("old-1", event_time=timestamp(time.time() - 8 * 86400)))
    assert decisions(response.results[0])["meta_strict"] == (SKIP, policy_pb2.REASON_TOO_OLD)


async def test_calls_without_a_valid_api_key_are_unauthenticated(mesh):
    for metadata in ((), (("authorization", "Bearer wrong"),)):
        try:
            await mesh.stub.SendEvents(
                gateway_pb2.SendEventsRequest(events=[clicked("auth-1")]), metadata=metadata, timeout=5
            )
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        else:
            raise AssertionError("accepted without a valid key")


async def test_every_service_answers_health_and_reflection(mesh):
    for address, service in (
        (mesh.gateway.address, "signalmesh.v1.Gateway"),
        (mesh.policy.address, "signalmesh.v1.Policy"),
    ):
        async with grpc.aio.insecure_channel(address) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=5
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            answers = reflection.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
            names = {item.name async for answer in answers for item in answer.list_services_response.service}
            assert service in names and "grpc.health.v1.Health" in names


async def test_policy_down_means_unavailable_and_nothing_accepted(mesh):
    await mesh.policy.stop(grace=0)
    try:
        await mesh.stub.SendEvents(
            gateway_pb2.SendEventsRequest(events=[clicked("down-1")]), metadata=mesh.metadata, timeout=15
        )
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.UNAVAILABLE
    else:
        raise AssertionError("accepted an event policy could not decide")
    assert await mesh.gateway.store.event_status("down-1") == []


async def test_check_event_scores_match_quality_and_prices_each_missing_identifier(mesh):
    sparse = make_event(
        "check-2",
        user_data=event_pb2.UserData(client_user_agent="Mozilla/5.0", client_ip_address="203.0.113.9"),
    )
    response = await mesh.stub.CheckEvent(
        gateway_pb2.CheckEventRequest(event=sparse), metadata=mesh.metadata, timeout=10
    )
    preview = {item.destination: item for item in response.previews}["meta_send_all"]
    assert 0 < preview.match_quality < 10
    assert preview.advice, "no advice for an event without email or phone"
    best = preview.advice[0]
    assert best.score_with > preview.match_quality
    assert best.identifier == "em", "an email is what Meta's weights value most"
    assert best.text == f"add a hashed email (em): {preview.match_quality:.1f} → {best.score_with:.1f}"
    assert [item.score_with for item in preview.advice] == sorted(
        (item.score_with for item in preview.advice), reverse=True
    )


async def test_one_id_under_two_event_names_is_two_events_each_delivered_and_explained(mesh):
    """Meta deduplicates on event_id + event_name: a Purchase and its AddPaymentInfo may share
    an id, and both must reach the platform (never one counted for the other)."""
    purchase = make_event("shared-1", destinations=["meta_send_all"])
    payment = make_event(
        "shared-1", destinations=["meta_send_all"], event_name="AddPaymentInfo", value="", currency=""
    )
    await mesh.send(purchase, payment)
    delivered = gateway_pb2.DELIVERY_STATE_DELIVERED
    states: list[tuple[str, int]] = []
    for _ in range(300):  # both statuses final (the platform's answer is recorded after it)
        states = sorted(
            (item.event_name, item.state) for item in (await mesh.status("shared-1")).destinations
        )
        if states == [("AddPaymentInfo", delivered), ("Purchase", delivered)]:
            break
        await asyncio.sleep(0.02)
    assert states == [("AddPaymentInfo", delivered), ("Purchase", delivered)]
    recorded = sorted(
        (event["event_id"], event["event_name"])
        for event in (await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events
    )
    assert recorded == [("shared-1", "AddPaymentInfo"), ("shared-1", "Purchase")]
