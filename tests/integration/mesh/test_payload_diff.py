"""Through the whole mesh: the body each platform was sent and its answer are kept per event,
shown by `signalmesh status --payload`, and `signalmesh diff` puts the payload that worked beside
the one the sandbox refused. Real gateway, policy, SQLite file and sandbox."""

from __future__ import annotations

import json
import time

from google.protobuf import struct_pb2
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.integration.mesh.test_cli import signalmesh

DELIVERED = gateway_pb2.DELIVERY_STATE_DELIVERED
REJECTED = gateway_pb2.DELIVERY_STATE_REJECTED
RAW_EMAIL = "jane.doe@example.com"
RAW_PHONE = "+1 415 555 0100"
RAW_FORMS = (RAW_EMAIL, RAW_PHONE, "4155550100")


def cli(mesh, *arguments: str) -> tuple[str, ...]:
    return (*arguments, "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key)


async def payload_status(mesh, event_id: str) -> gateway_pb2.DestinationStatus:
    response = await mesh.stub.GetEventStatus(
        gateway_pb2.GetEventStatusRequest(event_id=event_id, include_payload=True),
        metadata=mesh.metadata,
        timeout=10,
    )
    return {item.destination: item for item in response.destinations}["meta_send_all"]


async def delivered_and_refused(mesh) -> gateway_pb2.SendEventsResponse:
    """diff-ok is delivered; diff-bad is refused by the sandbox as Meta would: it is a Lead whose
    value came as text in custom_properties (the gateway passes custom properties through; Meta
    wants custom_data.value a number), and it has a phone instead of an email. Its fbc cookie
    carries its creation time in seconds, where Meta wants milliseconds: the gateway warns and
    leaves the cookie out of Meta's payload rather than lose the event over it."""
    now = time.time()
    await mesh.send(
        make_event("diff-ok", click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(now * 1000)}.okclick"))
    )
    phone_only = event_pb2.UserData(
        phones=[RAW_PHONE], client_user_agent="Mozilla/5.0 (test)", client_ip_address="203.0.113.9"
    )
    value_as_text = struct_pb2.Struct()
    value_as_text.update({"value": "29.99"})
    seconds_cookie = event_pb2.ClickIds(fbc=f"fb.1.{int(now)}.badclick")
    bad = make_event(
        "diff-bad",
        event_name="Lead",
        value="",
        user_data=phone_only,
        click_ids=seconds_cookie,
        custom_properties=value_as_text,
    )
    response = await mesh.send(bad)
    await mesh.wait_delivered("diff-ok", "meta_send_all")
    await mesh.wait_for_states("diff-bad", lambda states: states.get("meta_send_all") == REJECTED)
    return response


async def test_the_body_sent_and_the_answer_are_kept_without_secrets_or_raw_personal_data(mesh):
    sent_bad = await delivered_and_refused(mesh)
    ok, bad = await payload_status(mesh, "diff-ok"), await payload_status(mesh, "diff-bad")
    [result] = sent_bad.results
    assert result.disposition == gateway_pb2.DISPOSITION_ACCEPTED
    [cookie] = [warning for warning in result.warnings if warning.field == "click_ids.fbc"]
    assert cookie.reason == "fbc.format"
    assert "Meta destinations get the event without it" in cookie.description
    assert "fbc" not in json.loads(bad.payload.request_body)["data"][0]["user_data"]
    assert "custom_data.value" in bad.payload.response_body

    [sent] = json.loads(ok.payload.request_body)["data"]
    assert sent["event_id"] == "diff-ok" and sent["custom_data"] == {"value": 29.99, "currency": "USD"}
    assert set(json.loads(ok.payload.request_body)) == {"data"}
    assert ok.payload.response_status == 200 and "events_received" in json.loads(ok.payload.response_body)
    assert bad.payload.response_status == 400 and "error" in json.loads(bad.payload.response_body)
    for item in (ok, bad):
        text = str(item)
        assert "sandbox-token" not in text and not any(raw in text for raw in RAW_FORMS)
    for item, key in ((ok, "em"), (bad, "ph")):
        assert len(json.loads(item.payload.request_body)["data"][0]["user_data"][key][0]) == 64

    # Without the flag, GetEventStatus stays as small as before.
    plain = await mesh.status("diff-ok")
    assert not any(item.HasField("payload") for item in plain.destinations)


async def test_each_event_of_one_request_keeps_its_own_element(mesh):
    await mesh.send(make_event("batch-1"), make_event("batch-2"))
    await mesh.wait_delivered("batch-1", "meta_send_all")
    await mesh.wait_delivered("batch-2", "meta_send_all")
    first, second = await payload_status(mesh, "batch-1"), await payload_status(mesh, "batch-2")
    assert (first.payload.request_events, second.payload.request_events) == (2, 2)
    assert {first.payload.request_index, second.payload.request_index} == {0, 1}
    for event_id, item in (("batch-1", first), ("batch-2", second)):
        assert [element["event_id"] for element in json.loads(item.payload.request_body)["data"]] == [
            event_id
        ]


async def test_status_payload_prints_both_bodies_and_diff_shows_what_differs(mesh):
    await delivered_and_refused(mesh)

    code, output = await signalmesh(*cli(mesh, "status", "diff-bad", "--payload"))
    assert code == 0, output
    assert "HTTP 400" in output and '"event_id": "diff-bad"' in output and '"error"' in output
    assert "sandbox-token" not in output and "access_token" not in output
    assert not any(raw in output for raw in RAW_FORMS)
    code, output = await signalmesh(*cli(mesh, "status", "diff-ok", "--payload"))
    assert code == 0 and "HTTP 200" in output and '"currency": "USD"' in output, output
    assert "sandbox-token" not in output and not any(raw in output for raw in RAW_FORMS)

    code, output = await signalmesh(
        *cli(mesh, "diff", "diff-ok", "diff-bad", "--destination", "meta_send_all")
    )
    assert code == 0, output
    lines = output.splitlines()
    assert any("data[0].user_data.em" in line and "only in A" in line for line in lines), output
    assert any("data[0].user_data.ph" in line and "only in B" in line for line in lines), output
    assert any(
        "data[0].custom_data.value" in line and "number" in line and "string" in line for line in lines
    ), output
    # The seconds cookie never reached Meta: only diff-ok's fbc is in a payload.
    assert any("data[0].user_data.fbc" in line and "only in A" in line for line in lines), output
    assert any("(outcome)" in line and "delivered" in line and "rejected" in line for line in lines)
    assert any("(HTTP status)" in line and "200" in line and "400" in line for line in lines)
    assert any(line.lstrip("│ ").startswith("error.") and "only in B" in line for line in lines)
    assert "sandbox-token" not in output and not any(raw in output for raw in RAW_FORMS)


async def test_diff_without_a_destination_both_reached_says_so_and_exits_1(mesh):
    await mesh.send(make_event("diff-only"))
    await mesh.wait_delivered("diff-only", "meta_send_all")
    code, output = await signalmesh(
        *cli(mesh, "diff", "diff-only", "diff-only", "--destination", "meta_strict")
    )
    assert code == 1 and "nothing to compare" in output, output
