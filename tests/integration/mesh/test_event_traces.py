"""One trace per event, even in a batch: each event of a SendEvents call, of a stream or of a
micro-batch is found by its own trace id (in its result and its status), the work done for many
events at once links to each of them, and a unary call keeps its caller's trace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import ReadableSpan
from signalmesh.telemetry import tracing
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.integration.mesh.test_cli import signalmesh

DESTINATION = "meta_send_all"


def sent_to_one(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(event_id, destinations=[DESTINATION])


def hex_trace(span: ReadableSpan) -> str:
    return trace.format_trace_id(span.context.trace_id)


def named(spans: Sequence[ReadableSpan], name: str, event_id: str | None = None) -> list[ReadableSpan]:
    return [
        span
        for span in spans
        if span.name == name and (event_id is None or span.attributes.get(tracing.EVENT_ID) == event_id)
    ]


def linked_span_ids(span: ReadableSpan) -> set[int]:
    return {link.context.span_id for link in span.links}


def caller_metadata(mesh, caller: trace.Span) -> tuple[tuple[str, str], ...]:
    """The mesh's credentials plus the W3C traceparent of ``caller``, as a traced client sends it."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(caller))
    return (*mesh.metadata, *carrier.items())


async def test_each_event_of_a_batch_has_its_own_trace_linked_to_the_call(mesh, span_exporter):
    span_exporter.clear()
    ids = [f"batch-trace-{index}" for index in range(4)]
    response = await mesh.send(*(sent_to_one(event_id) for event_id in ids))

    trace_ids = {result.event_id: result.trace_id for result in response.results}
    assert len(set(trace_ids.values())) == len(ids), "events of one batch share a trace"
    assert all(len(trace_id) == 32 for trace_id in trace_ids.values())
    for event_id in ids:
        [status] = (await mesh.wait_delivered(event_id, DESTINATION)).values()
        assert status.trace_id == trace_ids[event_id]

    spans = span_exporter.get_finished_spans()
    [call] = [
        span
        for span in named(spans, "/signalmesh.v1.Gateway/SendEvents")
        if hex_trace(span) not in trace_ids.values() and linked_span_ids(span)
    ]
    [dispatch] = [
        span
        for span in named(spans, f"dispatch {DESTINATION}")
        if ids[0] in span.attributes[tracing.EVENT_IDS]
    ]
    assert set(dispatch.attributes[tracing.EVENT_IDS]) == set(ids), "one claim carried the batch"
    assert dispatch.parent is None and hex_trace(dispatch) not in trace_ids.values(), (
        "a dispatch of several events belongs to none of their traces"
    )
    [http_call] = [
        span
        for span in spans
        if span.name == f"POST {DESTINATION}"
        and span.parent
        and span.parent.span_id == dispatch.context.span_id
    ]
    assert hex_trace(http_call) == hex_trace(dispatch)
    for event_id in ids:
        [root] = named(spans, "accept event", event_id)
        [decision] = named(spans, f"decision {DESTINATION}", event_id)
        [deliver] = named(spans, f"deliver {DESTINATION}", event_id)
        assert root.parent is None and hex_trace(root) == trace_ids[event_id]
        assert root.attributes[tracing.DISPOSITION] == "accepted"
        assert linked_span_ids(root) == {call.context.span_id}, "the event does not point at its batch"
        assert root.context.span_id in linked_span_ids(call), "the batch does not point at its event"
        assert decision.parent is not None and decision.parent.span_id == root.context.span_id
        assert deliver.parent is not None and deliver.parent.span_id == decision.context.span_id
        assert hex_trace(deliver) == trace_ids[event_id]
        assert linked_span_ids(deliver) == {dispatch.context.span_id}
        assert decision.context.span_id in linked_span_ids(dispatch)
    [decide] = [
        span for span in named(spans, "policy.decide") if span.context.trace_id == call.context.trace_id
    ]
    assert decide.parent is not None and decide.parent.span_id == call.context.span_id


async def test_a_unary_call_keeps_its_callers_trace_to_the_delivery(mesh, span_exporter):
    span_exporter.clear()
    with trace.get_tracer("checkout").start_as_current_span("checkout") as caller:
        response = await mesh.stub.SendEvent(
            gateway_pb2.SendEventRequest(event=sent_to_one("unary-trace-1")),
            metadata=caller_metadata(mesh, caller),
            timeout=10,
        )
    caller_trace = trace.format_trace_id(caller.get_span_context().trace_id)
    assert response.result.trace_id == caller_trace
    [status] = (await mesh.wait_delivered("unary-trace-1", DESTINATION)).values()
    assert status.trace_id == caller_trace

    spans = span_exporter.get_finished_spans()
    [server] = [
        span for span in named(spans, "/signalmesh.v1.Gateway/SendEvent") if hex_trace(span) == caller_trace
    ]
    [decision] = named(spans, f"decision {DESTINATION}", "unary-trace-1")
    [deliver] = named(spans, f"deliver {DESTINATION}", "unary-trace-1")
    assert server.parent is not None and server.parent.span_id == caller.get_span_context().span_id
    assert not named(spans, "accept event", "unary-trace-1"), "a unary event needs no root of its own"
    assert hex_trace(decision) == hex_trace(deliver) == caller_trace
    assert deliver.parent is not None and deliver.parent.span_id == decision.context.span_id
    [dispatch] = [span for span in named(spans, f"dispatch {DESTINATION}") if hex_trace(span) == caller_trace]
    assert dispatch.attributes[tracing.EVENT_IDS] == ("unary-trace-1",)


# Two unary calls make exactly one micro-batch: it is flushed when full, never by the linger.
@pytest.mark.parametrize("mesh_overrides", [{"gateway": {"micro_batch_linger": "60s", "max_batch_size": 2}}])
async def test_a_micro_batch_of_two_callers_keeps_each_in_its_trace(mesh, span_exporter):
    span_exporter.clear()
    tracer = trace.get_tracer("checkout")
    callers = [tracer.start_span(f"checkout {index}") for index in range(2)]
    responses = await asyncio.wait_for(
        asyncio.gather(
            *(
                mesh.stub.SendEvent(
                    gateway_pb2.SendEventRequest(event=sent_to_one(f"micro-trace-{index}")),
                    metadata=caller_metadata(mesh, caller),
                    timeout=10,
                )
                for index, caller in enumerate(callers)
            )
        ),
        timeout=10,
    )
    for caller in callers:
        caller.end()
    caller_traces = [trace.format_trace_id(caller.get_span_context().trace_id) for caller in callers]
    assert [response.result.trace_id for response in responses] == caller_traces
    for index in range(2):
        [status] = (await mesh.wait_delivered(f"micro-trace-{index}", DESTINATION)).values()
        assert status.trace_id == caller_traces[index]

    spans = span_exporter.get_finished_spans()
    servers = [
        span for span in named(spans, "/signalmesh.v1.Gateway/SendEvent") if hex_trace(span) in caller_traces
    ]
    [batch] = [
        span
        for span in named(spans, "accept batch")
        if linked_span_ids(span) & {s.context.span_id for s in servers}
    ]
    assert batch.parent is None and hex_trace(batch) not in caller_traces
    assert linked_span_ids(batch) == {server.context.span_id for server in servers}
    [decide] = [
        span for span in named(spans, "policy.decide") if span.context.trace_id == batch.context.trace_id
    ]
    assert decide.parent is not None and decide.parent.span_id == batch.context.span_id
    for index, caller_trace in enumerate(caller_traces):
        [decision] = named(spans, f"decision {DESTINATION}", f"micro-trace-{index}")
        assert hex_trace(decision) == caller_trace


async def test_each_streamed_event_has_its_own_trace_linked_to_the_stream(mesh, span_exporter):
    span_exporter.clear()
    ids = [f"stream-trace-{index}" for index in range(3)]

    async def requests():
        for event_id in ids:
            yield gateway_pb2.SendEventRequest(event=sent_to_one(event_id))

    answers = [
        answer async for answer in mesh.stub.StreamEvents(requests(), metadata=mesh.metadata, timeout=10)
    ]
    trace_ids = [answer.result.trace_id for answer in answers]
    assert [answer.result.event_id for answer in answers] == ids
    assert len(set(trace_ids)) == len(ids) and all(trace_ids)

    deadline = time.monotonic() + 10
    while not all(named(span_exporter.get_finished_spans(), "accept event", event_id) for event_id in ids):
        assert time.monotonic() < deadline, "the streamed events' roots never ended"
        await asyncio.sleep(0.02)
    spans = span_exporter.get_finished_spans()
    stream_spans = named(spans, "/signalmesh.v1.Gateway/StreamEvents")
    for event_id, trace_id in zip(ids, trace_ids, strict=True):
        [root] = named(spans, "accept event", event_id)
        assert hex_trace(root) == trace_id and root.parent is None
        [link] = root.links
        assert any(link.context.span_id == stream.context.span_id for stream in stream_spans)


async def test_signalmesh_trace_prints_each_destinations_trace_and_its_link(mesh, tmp_path):
    response = await mesh.send(
        make_event("cli-trace-1", destinations=["meta_strict", DESTINATION]), sent_to_one("cli-trace-2")
    )
    trace_ids = {result.event_id: result.trace_id for result in response.results}
    await mesh.wait_delivered("cli-trace-1", DESTINATION)
    config = tmp_path / "signalmesh.toml"
    config.write_text('[telemetry]\ntrace_url = "http://jaeger.example:16686/trace/{trace_id}"\n')
    client = ("--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key)

    code, output = await signalmesh("trace", "cli-trace-1", "--config", str(config), *client)
    assert code == 0, output
    link = f"http://jaeger.example:16686/trace/{trace_ids['cli-trace-1']}"
    rows = [line for line in output.splitlines() if "meta_" in line]
    assert len(rows) == 2 and all(trace_ids["cli-trace-1"] in line for line in rows), output
    assert output.count(link) == 2, output
    assert trace_ids["cli-trace-2"] not in output

    code, output = await signalmesh("trace", "cli-trace-2", *client)
    assert code == 0 and trace_ids["cli-trace-2"] in output
    assert f"/trace/{trace_ids['cli-trace-2']}" not in output, "a link without a trace_url"
    assert "Set [telemetry] trace_url" in output

    code, output = await signalmesh(
        "trace", "cli-trace-2", "--trace-url", "http://ui.example/t/{trace_id}", *client
    )
    assert code == 0 and f"http://ui.example/t/{trace_ids['cli-trace-2']}" in output, output
    code, output = await signalmesh("trace", "cli-trace-2", "--trace-url", "http://ui.example/t/", *client)
    assert code == 2 and "{trace_id}" in output

    code, output = await signalmesh("trace", "no-such-event", *client)
    assert code == 1 and "NOT_FOUND" in output
