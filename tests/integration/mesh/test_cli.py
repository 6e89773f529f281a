"""The `signalmesh` command against a running mesh: send a file, explain an event, dry-run."""

from __future__ import annotations

import asyncio
import sys
import time

from google.protobuf import json_format
from signalmesh.v1 import event_pb2

from tests.integration.mesh.conftest import make_event


async def signalmesh(*arguments: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "signalmesh.cli",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, output.decode()


def events_file(tmp_path, *events: event_pb2.ConversionEvent):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json_format.MessageToJson(event, indent=None) for event in events) + "\n")
    return path


def clicked(event_id: str) -> event_pb2.ConversionEvent:
    return make_event(event_id, click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.cli"))


async def test_send_prints_a_summary_and_the_rejected_fields_and_exits_1(mesh, tmp_path):
    path = events_file(tmp_path, clicked("cli-1"), make_event("cli-2"), make_event("cli-3", value="1e3"))
    code, output = await signalmesh(
        "send", str(path), "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 1, output
    assert "2 accepted, 1 rejected of 3" in output
    assert "cli-3" in output and "value" in output and "send 1000" in output
    assert "missing_click_id" in output  # cli-2 has no click id: strict skips it on meta_strict
    await mesh.wait_delivered("cli-1", "meta_strict", "meta_send_all")


async def test_status_explains_each_destination(mesh):
    await mesh.send(make_event("cli-status"))
    await mesh.wait_delivered("cli-status", "meta_send_all")
    code, output = await signalmesh(
        "status", "cli-status", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0, output
    assert "meta_send_all" in output and "delivered" in output
    assert "meta_strict" in output and "skipped" in output and "click id" in output


async def test_status_shows_each_destinations_match_quality_in_its_band(mesh):
    """The score the connector gave at accept time, kept with the status through delivery."""
    rich = make_event(
        "cli-rich",
        user_data=event_pb2.UserData(
            emails=["jane.doe@example.com"],
            phones=["+1 415 555 0100"],
            first_name="Jane",
            last_name="Doe",
            external_ids=["crm-1"],
            client_user_agent="Mozilla/5.0 (test)",
            client_ip_address="203.0.113.9",
        ),
        click_ids=event_pb2.ClickIds(
            fbc=f"fb.1.{int(time.time() * 1000)}.rich", fbp=f"fb.1.{int(time.time() * 1000)}.42"
        ),
    )
    await mesh.send(rich, make_event("cli-thin"))
    rich_status = await mesh.wait_delivered("cli-rich", "meta_strict", "meta_send_all")
    thin_status = await mesh.wait_delivered("cli-thin", "meta_send_all")
    # Meta's weights (signalmesh_meta.connector): em 2.5, ph 1.5, fbc 1, IP 1, fn+ln 1,
    # external_id 0.75, fbp 0.75, user agent 0.5.
    assert {item.match_quality for item in rich_status.values()} == {9.0}
    assert thin_status["meta_send_all"].match_quality == 4.0  # em, IP, user agent
    assert thin_status["meta_strict"].match_quality == 4.0  # skipped, still scored

    for event_id, expected in (
        ("cli-rich", "9.0 — on the 7.5–9 target"),
        ("cli-thin", "4.0 — below the 7.5–9 target"),
    ):
        code, output = await signalmesh(
            "status", event_id, "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
        )
        assert code == 0, output
        assert "match quality" in output
        rows = [line for line in output.splitlines() if " meta_send_all " in line or " meta_strict " in line]
        assert len(rows) == 2 and all(expected in row for row in rows), output


async def test_status_of_an_unknown_event_is_not_found(mesh):
    code, output = await signalmesh(
        "status", "nope", "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 1 and "NOT_FOUND" in output


async def test_check_shows_the_payload_without_sending(mesh, tmp_path):
    path = events_file(tmp_path, clicked("cli-check"))
    code, output = await signalmesh(
        "check", str(path), "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 0, output
    assert "would be accepted" in output and '"em"' in output and "jane.doe@example.com" not in output
    assert (await mesh.sandbox.events("meta", "1111111111")).events == []


async def test_a_wrong_key_is_a_usage_error(mesh, tmp_path):
    path = events_file(tmp_path, clicked("cli-auth"))
    code, output = await signalmesh("send", str(path), "--gateway", mesh.gateway.address, "--key", "wrong")
    assert code == 2 and "UNAUTHENTICATED" in output


async def test_a_malformed_events_file_names_the_line(mesh, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json_format.MessageToJson(clicked("ok"), indent=None) + '\n{"eventId": 5, "bogus": true}\n'
    )
    code, output = await signalmesh(
        "send", str(path), "--gateway", mesh.gateway.address, "--key", mesh.gateway.local_key
    )
    assert code == 2 and "bad.jsonl:2" in output
