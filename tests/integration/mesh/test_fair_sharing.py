"""Fair sharing over a real gateway: a client over its events/s or its concurrent streams is
refused with RESOURCE_EXHAUSTED + RetryInfo (and QuotaFailure), refused whole before anything
is accepted, while another client is still served; after the delay given, it is accepted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from signalmesh.interceptors import hash_api_key
from signalmesh.v1 import gateway_pb2

from tests.integration.mesh.conftest import make_event

HAMMER_KEY = "sm_hammer_key_for_tests"
VICTIM_KEY = "sm_victim_key_for_tests"
STREAMER_KEY = "sm_streamer_key_for_tests"


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


@pytest.fixture
def mesh_overrides():
    return {
        "gateway": {"client_events_per_second": 5, "client_max_concurrent_streams": 2},
        "clients": [
            {"name": "hammer", "key_sha256": hash_api_key(HAMMER_KEY), "burst": 5},
            {"name": "victim", "key_sha256": hash_api_key(VICTIM_KEY), "events_per_second": 0},
            {"name": "streamer", "key_sha256": hash_api_key(STREAMER_KEY), "events_per_second": 0},
        ],
    }


async def status(mesh, event_id: str) -> gateway_pb2.GetEventStatusResponse:
    return await mesh.stub.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id=event_id), metadata=bearer(VICTIM_KEY), timeout=10
    )


def refusal_details(error: grpc.aio.AioRpcError) -> tuple[float, list[str]]:
    """The rich status's retry delay (seconds) and QuotaFailure descriptions, decoded."""
    status = rpc_status.from_call(error)
    assert status is not None, "no grpc-status-details-bin on the refusal"
    retry, quota = error_details_pb2.RetryInfo(), error_details_pb2.QuotaFailure()
    assert any(detail.Unpack(retry) for detail in status.details)
    assert any(detail.Unpack(quota) for detail in status.details)
    return retry.retry_delay.ToTimedelta().total_seconds(), [
        f"{item.subject} {item.description}" for item in quota.violations
    ]


async def send_until_accepted(mesh, key: str, event_id: str, deadline_seconds: float = 10.0) -> int:
    """Retry as a well-behaved client does, waiting the delay the refusal gives; return refusals."""
    deadline = time.monotonic() + deadline_seconds
    refusals = 0
    while True:
        try:
            await mesh.stub.SendEvent(
                gateway_pb2.SendEventRequest(event=make_event(event_id)), metadata=bearer(key), timeout=10
            )
            return refusals
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error.details()
            assert time.monotonic() < deadline, f"{event_id} still refused after {refusals} tries"
            refusals += 1
            delay, _ = refusal_details(error)
            await asyncio.sleep(delay)  # the server's word, not a guess


async def test_a_client_over_its_rate_is_refused_with_a_retry_delay_while_another_is_served(mesh):
    hammer, victim = bearer(HAMMER_KEY), bearer(VICTIM_KEY)
    burst = gateway_pb2.SendEventsRequest(events=[make_event(f"hammer-{index}") for index in range(5)])
    assert (await mesh.stub.SendEvents(burst, metadata=hammer, timeout=10)).accepted == 5
    over = gateway_pb2.SendEventsRequest(events=[make_event(f"over-{index}") for index in range(3)])
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await mesh.stub.SendEvents(over, metadata=hammer, timeout=10)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    delay, violations = refusal_details(error.value)
    assert 0 < delay <= 1.0
    assert violations and "client:hammer" in violations[0] and "events_per_second" in violations[0]
    # Refused whole: no event of the batch was accepted.
    for index in range(3):
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await status(mesh, f"over-{index}")
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    # Meanwhile the other client is served, at any pace.
    many = gateway_pb2.SendEventsRequest(events=[make_event(f"victim-{index}") for index in range(20)])
    assert (await mesh.stub.SendEvents(many, metadata=victim, timeout=10)).accepted == 20
    # Having waited the delay given, the hammer is accepted again.
    await send_until_accepted(mesh, HAMMER_KEY, "hammer-after-wait")
    assert (await status(mesh, "hammer-after-wait")).destinations


async def test_a_stream_over_the_rate_answers_every_event_before_it_then_ends_exhausted(mesh):
    async def seven() -> AsyncIterator[gateway_pb2.SendEventRequest]:
        for index in range(7):
            yield gateway_pb2.SendEventRequest(event=make_event(f"streamed-{index}"))

    answers = []
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for answer in mesh.stub.StreamEvents(seven(), metadata=bearer(HAMMER_KEY), timeout=10):
            answers.append(answer)
    assert [answer.result.event_id for answer in answers] == [f"streamed-{index}" for index in range(5)]
    assert all(answer.result.disposition == gateway_pb2.DISPOSITION_ACCEPTED for answer in answers)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "event #5 and later not accepted" in error.value.details()
    assert refusal_details(error.value)[0] > 0
    with pytest.raises(grpc.aio.AioRpcError):
        await status(mesh, "streamed-5")


class OpenStream:
    """A StreamEvents call held open: one event answered (so the gateway counts it), then idle."""

    def __init__(self, mesh, key: str, name: str) -> None:
        self._requests: asyncio.Queue[gateway_pb2.SendEventRequest | None] = asyncio.Queue()
        self._call = mesh.stub.StreamEvents(self._generate(), metadata=bearer(key), timeout=20)
        self._name = name

    async def _generate(self) -> AsyncIterator[gateway_pb2.SendEventRequest]:
        while (request := await self._requests.get()) is not None:
            yield request

    async def send_one(self, event_id: str) -> gateway_pb2.SendEventResponse:
        await self._requests.put(gateway_pb2.SendEventRequest(event=make_event(event_id)))
        return await self._call.read()

    async def close(self) -> None:
        await self._requests.put(None)
        assert await self._call.code() == grpc.StatusCode.OK


async def test_a_stream_beyond_the_clients_limit_is_refused_until_one_closes(mesh):
    first, second = OpenStream(mesh, STREAMER_KEY, "first"), OpenStream(mesh, STREAMER_KEY, "second")
    assert (await first.send_one("stream-a")).result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    assert (await second.send_one("stream-b")).result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    extra = OpenStream(mesh, STREAMER_KEY, "extra")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await extra.send_one("stream-c")
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    delay, violations = refusal_details(error.value)
    assert delay > 0 and "max_concurrent_streams" in violations[0]
    # Another client's streams are its own.
    other = OpenStream(mesh, VICTIM_KEY, "other")
    assert (await other.send_one("stream-victim")).result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    await other.close()
    await first.close()
    # Once a stream has closed, a new one is accepted (retrying by the delay given, with a deadline).
    deadline = time.monotonic() + 15
    while True:
        retry = OpenStream(mesh, STREAMER_KEY, "retry")
        try:
            answer = await retry.send_one("stream-d")
            break
        except grpc.aio.AioRpcError as refused:
            assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and time.monotonic() < deadline
            await asyncio.sleep(refusal_details(refused)[0])
    assert answer.result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    await retry.close()
    await second.close()
