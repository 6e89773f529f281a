"""Hostile and careless input over a real gateway (issue 11, findings 1, 2, 4 and 5): each is a
field violation of its own event, never UNKNOWN/INTERNAL, and never costs another event or call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event


def _with(change: Callable[[event_pb2.ConversionEvent], None]) -> Callable[[str], event_pb2.ConversionEvent]:
    def build(event_id: str) -> event_pb2.ConversionEvent:
        event = make_event(event_id)
        change(event)
        return event

    return build


def _huge_value(event: event_pb2.ConversionEvent) -> None:
    event.value = "1" + "0" * 309


def _huge_item_price(event: event_pb2.ConversionEvent) -> None:
    event.contents.add(id="sku-1", quantity=1, item_price="1" + "0" * 309)


def _big_value(event: event_pb2.ConversionEvent) -> None:
    event.value = "1" + "0" * 20  # short enough for the length cap, too large to be exact


def _value_with_a_separator_character(event: event_pb2.ConversionEvent) -> None:
    event.value = "0.5\x1c"  # str.strip() drops \x1c, float() does not (found by the fuzz target)


def _malformed_ipv6_url(event: event_pb2.ConversionEvent) -> None:
    event.event_source_url = "http://[shop.example.com/thanks"  # urlsplit raises (found by the fuzz target)


def _time_past_year_9999(event: event_pb2.ConversionEvent) -> None:
    event.event_time.CopyFrom(timestamp_pb2.Timestamp(seconds=2**62))


def _nanos_out_of_range(event: event_pb2.ConversionEvent) -> None:
    event.event_time.nanos = 2_000_000_000


def _nan_property(event: event_pb2.ConversionEvent) -> None:
    event.custom_properties["score"] = float("nan")


def _infinite_property(event: event_pb2.ConversionEvent) -> None:
    event.custom_properties.get_or_create_struct("nested")["score"] = float("inf")


def _unknown_action_source(event: event_pb2.ConversionEvent) -> None:
    event.action_source = 99  # type: ignore[assignment]


def _unknown_consent(event: event_pb2.ConversionEvent) -> None:
    event.consent.ad_user_data = 77  # type: ignore[assignment]


def _negative_quantity(event: event_pb2.ConversionEvent) -> None:
    event.contents.add(id="sku-1", quantity=-5, item_price="1.00")


def _old_click(event: event_pb2.ConversionEvent) -> None:
    event.click_ids.fbclid = "IwAR-old"
    event.click_ids.click_time.FromSeconds(int(time.time()) - 200 * 86_400)


def _click_time_out_of_range(event: event_pb2.ConversionEvent) -> None:
    event.click_ids.fbclid = "IwAR-x"
    event.click_ids.click_time.CopyFrom(timestamp_pb2.Timestamp(seconds=-(2**62)))


HOSTILE = {
    "value-309-zeros": (_huge_value, "value", "length.max"),
    "item-price-309-zeros": (_huge_item_price, "contents[0].item_price", "length.max"),
    "value-too-large": (_big_value, "value", "value.range"),
    "value-with-separator": (_value_with_a_separator_character, "value", "value.decimal"),
    "url-malformed-ipv6": (_malformed_ipv6_url, "event_source_url", "event_source_url.format"),
    "event-time-past-9999": (_time_past_year_9999, "event_time", "timestamp.range"),
    "nanos-out-of-range": (_nanos_out_of_range, "event_time", "timestamp.range"),
    "nan-property": (_nan_property, "custom_properties.score", "number.finite"),
    "infinite-nested-property": (_infinite_property, "custom_properties.nested", "number.finite"),
    "action-source-99": (_unknown_action_source, "action_source", "enum.unknown"),
    "consent-77": (_unknown_consent, "consent.ad_user_data", "enum.unknown"),
    "quantity-negative": (_negative_quantity, "contents[0].quantity", "quantity.range"),
    "click-200-days-old": (_old_click, "click_ids.click_time", "click_time.too_old"),
    "click-time-out-of-range": (_click_time_out_of_range, "click_ids.click_time", "timestamp.range"),
}


def _violations_of(error: grpc.aio.AioRpcError) -> dict[str, error_details_pb2.BadRequest.FieldViolation]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    return {item.field: item for item in bad_request.field_violations}


async def _send_one(mesh, event: event_pb2.ConversionEvent) -> gateway_pb2.SendEventResponse:
    return await mesh.stub.SendEvent(
        gateway_pb2.SendEventRequest(event=event), metadata=mesh.metadata, timeout=10
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_a_hostile_event_is_a_violation_of_its_own_and_the_batch_goes_on(mesh, name):
    change, field, reason = HOSTILE[name]
    response = await mesh.send(
        make_event(f"{name}-before"), _with(change)(f"{name}-bad"), make_event(f"{name}-after")
    )
    assert (response.accepted, response.rejected) == (2, 1)
    rejected = response.results[1]
    assert rejected.disposition == gateway_pb2.DISPOSITION_REJECTED
    assert {(item.field, item.reason) for item in rejected.violations} >= {(field, reason)}


async def test_a_hostile_unary_call_never_reaches_the_calls_micro_batched_with_it(mesh):
    # Every hostile event at once, among innocent calls that share their micro-batches.
    hostile = [_send_one(mesh, _with(change)(f"unary-{name}")) for name, (change, _, _) in HOSTILE.items()]
    innocent = [_send_one(mesh, make_event(f"innocent-{index}")) for index in range(8)]
    answers = await asyncio.gather(*hostile, *innocent, return_exceptions=True)
    for name, answer, (_, field, reason) in zip(HOSTILE, answers, HOSTILE.values(), strict=False):
        assert isinstance(answer, grpc.aio.AioRpcError), name
        assert _violations_of(answer)[field].reason == reason, name
    for answer in answers[len(hostile) :]:
        assert isinstance(answer, gateway_pb2.SendEventResponse), answer
        assert answer.result.disposition == gateway_pb2.DISPOSITION_ACCEPTED


async def test_a_stream_goes_on_past_a_hostile_event(mesh):
    events = [make_event("stream-1"), _with(_huge_value)("stream-bad"), _with(_nan_property)("stream-nan")]
    events.append(make_event("stream-2"))

    async def requests():
        for event in events:
            yield gateway_pb2.SendEventRequest(event=event)

    answers = [
        answer.result
        async for answer in mesh.stub.StreamEvents(requests(), metadata=mesh.metadata, timeout=10)
    ]
    assert [answer.event_id for answer in answers] == ["stream-1", "stream-bad", "stream-nan", "stream-2"]
    assert [answer.disposition for answer in answers] == [
        gateway_pb2.DISPOSITION_ACCEPTED,
        gateway_pb2.DISPOSITION_REJECTED,
        gateway_pb2.DISPOSITION_REJECTED,
        gateway_pb2.DISPOSITION_ACCEPTED,
    ]


async def test_thirty_thousand_emails_are_refused_naming_the_field_and_cap_while_another_call_is_served(mesh):
    flood = make_event(
        "flood", user_data=event_pb2.UserData(emails=[f"user{n}@example.com" for n in range(30_000)])
    )
    refused, served = await asyncio.gather(
        _send_one(mesh, flood), _send_one(mesh, make_event("other-client")), return_exceptions=True
    )
    assert isinstance(served, gateway_pb2.SendEventResponse)
    assert served.result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    assert isinstance(refused, grpc.aio.AioRpcError)
    violation = _violations_of(refused)["user_data.emails"]
    assert violation.reason == "entries.max"
    assert "30000 entries" in violation.description and "at most 20" in violation.description


async def test_a_4_mb_event_name_gets_its_violations_not_a_metadata_error(mesh):
    event = make_event("long-name", event_name="A" * 3_900_000)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _send_one(mesh, event)
    violation = _violations_of(raised.value)["event_name"]
    assert violation.reason == "length.max" and "at most 256" in violation.description
    # The echoed value is cut: the whole status stays far below gRPC's metadata limit.
    assert len(violation.description) < 200 and "…" in violation.description
    assert len(raised.value.details() or "") < 2100


async def test_list_dead_letters_refuses_a_negative_limit_and_clamps_a_huge_one(mesh):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await mesh.stub.ListDeadLetters(
            gateway_pb2.ListDeadLettersRequest(limit=-1), metadata=mesh.metadata, timeout=5
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (raised.value.details() or "").startswith("limit: -1 is negative")
    clamped = await mesh.stub.ListDeadLetters(
        gateway_pb2.ListDeadLettersRequest(limit=2**31 - 1), metadata=mesh.metadata, timeout=5
    )
    assert list(clamped.dead_letters) == []
