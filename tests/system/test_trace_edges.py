"""One event is one trace across processes, exported over real OTLP/gRPC (what Jaeger ingests):
client → gateway → policy → outbox → dispatcher → HTTP call to the platform."""

from __future__ import annotations

import asyncio
import time

import grpc
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from signalmesh.telemetry import tracing
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

from tests.integration.mesh.conftest import make_event
from tests.support.otlp_receiver import running_otlp_receiver
from tests.support.waiting import wait_until

SERVER, CLIENT = 2, 3


async def test_one_event_is_one_trace_from_client_to_platform_call(launcher):
    async with running_otlp_receiver() as receiver:
        otel = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.address}",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
        sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
        config = launcher.write_config(sandbox)
        _, gateway = await launcher.start_mesh(config, environment=otel)
        provider = TracerProvider(resource=Resource.create({"service.name": "checkout-service"}))
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=receiver.address, insecure=True))
        )
        event = make_event(
            "traced-1", click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.AbC")
        )
        async with grpc.aio.insecure_channel(
            gateway.address, interceptors=tracing.client_interceptors(provider)
        ) as channel:
            await gateway_pb2_grpc.GatewayStub(channel).SendEvent(
                gateway_pb2.SendEventRequest(event=event),
                metadata=(("authorization", f"Bearer {launcher.api_key()}"),),
                timeout=10,
            )
        await asyncio.to_thread(provider.force_flush)

        def complete(spans) -> bool:
            services_with_server_spans = {span.service_name for span in spans if span.kind == SERVER}
            http_done = any(
                span.kind == CLIENT
                and span.name.startswith("POST")
                and span.attributes.get(tracing.EVENT_ID) == "traced-1"
                for span in spans
            )
            names = {span.name for span in spans}
            return (
                http_done
                and {"decision meta", "dispatch meta"} <= names
                and {"signalmesh-gateway", "signalmesh-policy"} <= services_with_server_spans
            )

        spans = await receiver.wait_for(complete, timeout=20)
        [client_span] = [span for span in spans if span.service_name == "checkout-service"]
        trace = [span for span in spans if span.trace_id == client_span.trace_id]
        by_id = {span.span_id: span for span in trace}

        def ancestors(span):
            while span.parent_span_id in by_id:
                span = by_id[span.parent_span_id]
                yield span

        [gateway_server] = [s for s in trace if s.service_name == "signalmesh-gateway" and s.kind == SERVER]
        [policy_server] = [s for s in trace if s.service_name == "signalmesh-policy" and s.kind == SERVER]
        [decision] = [s for s in trace if s.name == "decision meta"]
        [dispatch] = [s for s in trace if s.name == "dispatch meta"]
        [http_call] = [
            s
            for s in trace
            if s.kind == CLIENT and s.service_name == "signalmesh-gateway" and s.name.startswith("POST")
        ]
        [deliver] = [s for s in trace if s.name == "deliver meta"]

        assert gateway_server.parent_span_id == client_span.span_id
        assert gateway_server in ancestors(policy_server), (
            "policy's span is not a child of the gateway's call"
        )
        assert gateway_server in ancestors(decision)
        assert decision in ancestors(dispatch), (
            "delivery did not continue the trace stored with the outbox entry"
        )
        assert http_call.parent_span_id == dispatch.span_id
        assert deliver.parent_span_id == decision.span_id
        assert decision.attributes[tracing.EVENT_ID] == "traced-1"
        assert decision.attributes[tracing.DESTINATION] == "meta"
        assert decision.attributes[tracing.DECISION] == "DECISION_SEND"
        assert deliver.attributes["signalmesh.outcome"] == "delivered"
        assert http_call.attributes["http.response.status_code"] == 200
        assert "traced-1" in policy_server_events(spans, policy_server)
        provider.shutdown()


def policy_server_events(spans, policy_server) -> list[str]:
    """Event ids the policy hop decided, from the child span that carries them."""
    return [
        event_id
        for span in spans
        if span.trace_id == policy_server.trace_id and span.service_name == "signalmesh-policy"
        for event_id in span.attributes.get(tracing.EVENT_IDS, [])
    ]


async def test_sampling_follows_otel_traces_sampler_and_a_sampled_out_batch_is_still_delivered(launcher):
    """At ``parentbased_traceidratio`` 0, a batch nobody asked to trace records nothing (and is
    delivered all the same); a batch whose caller sends a sampled traceparent is traced, each
    event in its own trace, linked to the call's span and back, to its delivery."""
    async with running_otlp_receiver() as receiver:
        otel = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.address}",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
        sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
        _, gateway = await launcher.start_mesh(launcher.write_config(sandbox), environment=otel)
        provider = TracerProvider(resource=Resource.create({"service.name": "checkout-service"}))
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=receiver.address, insecure=True))
        )
        metadata = (("authorization", f"Bearer {launcher.api_key()}"),)
        clicked = event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.AbC")
        unsampled_ids = [f"unsampled-{index}" for index in range(3)]
        sampled_ids = [f"sampled-{index}" for index in range(3)]
        async with grpc.aio.insecure_channel(gateway.address) as plain:
            stub = gateway_pb2_grpc.GatewayStub(plain)
            unsampled = await stub.SendEvents(
                gateway_pb2.SendEventsRequest(
                    events=[make_event(event_id, click_ids=clicked) for event_id in unsampled_ids]
                ),
                metadata=metadata,
                timeout=10,
            )
            assert unsampled.accepted == len(unsampled_ids)
            unsampled_traces = {result.trace_id for result in unsampled.results}
            assert len(unsampled_traces) == len(unsampled_ids) and "" not in unsampled_traces
            for event_id in unsampled_ids:
                await wait_until(
                    lambda event_id=event_id: delivered(stub, event_id, metadata),
                    timeout=20,
                    message=f"{event_id} was not delivered",
                )
            for result in unsampled.results:
                status = await stub.GetEventStatus(
                    gateway_pb2.GetEventStatusRequest(event_id=result.event_id), metadata=metadata, timeout=5
                )
                assert [item.trace_id for item in status.destinations] == [result.trace_id]
        async with grpc.aio.insecure_channel(
            gateway.address, interceptors=tracing.client_interceptors(provider)
        ) as traced:
            with provider.get_tracer("checkout").start_as_current_span("nightly export") as caller:
                sampled = await gateway_pb2_grpc.GatewayStub(traced).SendEvents(
                    gateway_pb2.SendEventsRequest(
                        events=[make_event(event_id, click_ids=clicked) for event_id in sampled_ids]
                    ),
                    metadata=metadata,
                    timeout=10,
                )
        await asyncio.to_thread(provider.force_flush)
        trace_of = {result.event_id: result.trace_id for result in sampled.results}
        caller_trace = format(caller.get_span_context().trace_id, "032x")

        def every_delivery_and_the_call_arrived(spans) -> bool:
            # Another gateway worker may deliver (and export) before the accepting worker exports
            # the call's own span, so wait for both.
            delivered_ids = {
                span.attributes.get(tracing.EVENT_ID) for span in spans if span.name == "deliver meta"
            }
            call_exported = any(
                span.service_name == "signalmesh-gateway"
                and span.kind == SERVER
                and span.trace_id == caller_trace
                for span in spans
            )
            return set(sampled_ids) <= delivered_ids and call_exported

        spans = await receiver.wait_for(every_delivery_and_the_call_arrived, timeout=20)
        [call] = [
            span
            for span in spans
            if span.service_name == "signalmesh-gateway"
            and span.kind == SERVER
            and span.trace_id == caller_trace
        ]
        by_id = {span.span_id: span for span in spans}
        for event_id in sampled_ids:
            [root] = [
                s
                for s in spans
                if s.name == "accept event" and s.attributes.get(tracing.EVENT_ID) == event_id
            ]
            [deliver] = [
                s
                for s in spans
                if s.name == "deliver meta" and s.attributes.get(tracing.EVENT_ID) == event_id
            ]
            assert root.trace_id == deliver.trace_id == trace_of[event_id] != caller_trace
            assert root.parent_span_id == "" and root.links == ((call.trace_id, call.span_id),)
            assert (root.trace_id, root.span_id) in call.links
            decision = by_id[deliver.parent_span_id]
            assert decision.name == "decision meta" and decision.parent_span_id == root.span_id
            [(_, dispatch_id)] = deliver.links
            assert by_id[dispatch_id].name == "dispatch meta", "the delivery's link points nowhere"
        # The unsampled batch finished long before: had anything of it been recorded, it would
        # have been exported ahead of the sampled batch's spans.
        assert not [span for span in spans if span.trace_id in unsampled_traces]
        assert not [
            span
            for span in spans
            if {span.attributes.get(tracing.EVENT_ID), *span.attributes.get(tracing.EVENT_IDS, [])}
            & set(unsampled_ids)
        ]
        provider.shutdown()


async def delivered(stub, event_id: str, metadata) -> bool:
    response = await stub.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id=event_id), metadata=metadata, timeout=5
    )
    return all(item.state == gateway_pb2.DELIVERY_STATE_DELIVERED for item in response.destinations)
