"""The synchronous CLI client, tested with grpcio-testing (no network): auth metadata, deadlines,
events files and BadRequest details."""

from __future__ import annotations

import threading

import grpc
import grpc_testing
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from signalmesh.cli.client import EventFileError, GatewayClient, bad_request_violations, read_events
from signalmesh.v1 import event_pb2, gateway_pb2

GATEWAY = gateway_pb2.DESCRIPTOR.services_by_name["Gateway"]


def test_send_events_carries_the_api_key():
    channel = grpc_testing.channel([GATEWAY], grpc_testing.strict_real_time())
    client = GatewayClient("unused:0", "sm_secret", timeout_seconds=7, channel=channel)
    answers: list[gateway_pb2.SendEventsResponse] = []
    caller = threading.Thread(
        target=lambda: answers.append(client.send_events([event_pb2.ConversionEvent(event_id="e1")]))
    )
    caller.start()
    metadata, request, rpc = channel.take_unary_unary(GATEWAY.methods_by_name["SendEvents"])
    assert ("authorization", "Bearer sm_secret") in metadata
    assert [event.event_id for event in request.events] == ["e1"]
    rpc.terminate(gateway_pb2.SendEventsResponse(accepted=1), (), grpc.StatusCode.OK, "")
    caller.join(5)
    assert answers[0].accepted == 1


def test_bad_request_details_are_read_back_field_by_field():
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="value", description="send 29.99")
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    status = rpc_status.to_status(
        status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message="invalid", details=[detail])
    )

    class Error(grpc.RpcError, grpc.Call):
        def trailing_metadata(self):
            return status.trailing_metadata

        def code(self):
            return status.code

        def details(self):
            return status.details

    assert bad_request_violations(Error()) == [("value", "send 29.99")]


def test_events_file_accepts_json_lines_and_a_single_document(tmp_path):
    lines = tmp_path / "events.jsonl"
    lines.write_text('{"eventId": "a", "eventName": "Lead"}\n\n{"eventId": "b", "value": "1.50"}\n')
    assert [event.event_id for event in read_events(lines)] == ["a", "b"]
    document = tmp_path / "event.json"
    document.write_text('{\n  "eventId": "c",\n  "userData": {"emails": ["x@example.com"]}\n}\n')
    assert [event.user_data.emails[0] for event in read_events(document)] == ["x@example.com"]


def test_a_bad_line_is_named_by_number(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"eventId": "a"}\n{"eventId": "b", "notAField": 1}\n')
    with pytest.raises(EventFileError, match=r"events.jsonl:2"):
        list(read_events(path))
