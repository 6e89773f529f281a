"""Fuzzing, kept (issue 11): random bytes and hostile structured events through the wire
decoder, the validator and every installed connector's prepare/build, and a share of them
through a real gateway over gRPC. No input may raise anything but the documented results, and
no call may answer UNKNOWN or INTERNAL.

``make test`` runs ``FUZZ_EXAMPLES`` (default 2,000) inputs in all; ``make fuzz`` many more
(README "Fuzzing") and prints the tally.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

from tests.fuzz.harness import Tally, Target
from tests.fuzz.live_gateway import live_gateway
from tests.fuzz.strategies import conversion_events

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
TALLY = Tally()
TARGET = Target(TALLY)


def _budget(share: float) -> settings:
    return settings(
        max_examples=max(20, int(EXAMPLES * share)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@pytest.fixture(scope="module", autouse=True)
def print_tally() -> Iterator[None]:
    yield
    print(f"\nfuzz: {TALLY.summary()}")


# Random bytes, and serialised events with bytes flipped: the decoder's hostile half.
MUTATED = st.tuples(
    conversion_events(), st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=4)
)


def _mutate(pair: tuple[event_pb2.ConversionEvent, list[tuple[int, int]]]) -> bytes:
    event, flips = pair
    data = bytearray(gateway_pb2.SendEventsRequest(events=[event]).SerializeToString())
    for position, byte in flips:
        if data:
            data[position % len(data)] = byte
    return bytes(data)


@_budget(0.3)
@given(st.one_of(st.binary(max_size=512), MUTATED.map(_mutate)))
def test_bytes_never_raise_past_the_decoder(data: bytes) -> None:
    TARGET.bytes_in(data)


@_budget(0.6)
@given(conversion_events())
def test_hostile_events_are_refused_or_built_never_raised(event: event_pb2.ConversionEvent) -> None:
    TARGET.event_in(event)


@pytest.fixture(scope="module")
def gateway_stub(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[gateway_pb2_grpc.GatewayStub, tuple]]:
    with (
        live_gateway(Path(tmp_path_factory.mktemp("fuzz-mesh"))) as gateway,
        grpc.insecure_channel(gateway.address) as channel,
    ):
        yield gateway_pb2_grpc.GatewayStub(channel), gateway.metadata


def test_hostile_events_over_grpc_are_never_unknown_or_internal(gateway_stub) -> None:
    stub, metadata = gateway_stub

    @_budget(0.1)
    @given(
        st.lists(conversion_events(), min_size=1, max_size=3), st.sampled_from(["unary", "batch", "check"])
    )
    def call(events: list[event_pb2.ConversionEvent], method: str) -> None:
        sent = events if method == "batch" else events[:1]
        TALLY.counts["inputs"] += len(sent)
        TALLY.counts["grpc_events"] += len(sent)
        try:
            if method == "unary":
                stub.SendEvent(gateway_pb2.SendEventRequest(event=sent[0]), metadata=metadata, timeout=10)
            elif method == "check":
                stub.CheckEvent(gateway_pb2.CheckEventRequest(event=sent[0]), metadata=metadata, timeout=10)
            else:
                response = stub.SendEvents(
                    gateway_pb2.SendEventsRequest(events=sent), metadata=metadata, timeout=10
                )
                assert len(response.results) == len(sent)
            code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            code = error.code()  # type: ignore[attr-defined]
        TALLY.status_codes[code.name] += 1
        assert code not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)

    call()
    assert TALLY.crashes == []
