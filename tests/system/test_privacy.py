"""Raw emails, phones and names never reach a log line, a span, the outbox or any file."""

from __future__ import annotations

import asyncio
import re
import time

import grpc
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

from tests.integration.mesh.conftest import make_event
from tests.support.otlp_receiver import running_otlp_receiver

RAW_EMAIL = "Zebediah.Quarterfield@Example.org"
RAW_PHONE = "+1 (415) 555-0188"
FIRST, LAST = "Zebediah", "Quarterfield"
CITY = "Xanthoville"
# Every form a leak could take: as sent, normalised but unhashed, and the pieces.
FORBIDDEN = [
    RAW_EMAIL,
    RAW_EMAIL.lower(),
    "zebediah",
    "quarterfield",
    "415) 555-0188",
    "4155550188",
    "14155550188",
    "xanthoville",
]


def personal_events() -> list[event_pb2.ConversionEvent]:
    user = event_pb2.UserData(
        emails=[RAW_EMAIL],
        phones=[RAW_PHONE],
        first_name=FIRST,
        last_name=LAST,
        city=CITY,
        country="US",
        client_user_agent="Mozilla/5.0 (privacy)",
        client_ip_address="203.0.113.50",
    )
    clicked = event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.privacy")
    valid = make_event("private-1", user_data=user, click_ids=clicked)
    # A rejected event must not echo the raw values in its errors either.
    invalid_user = event_pb2.UserData(
        emails=[RAW_EMAIL + " broken"], phones=["call " + RAW_PHONE + " x"], first_name=FIRST
    )
    invalid = make_event("private-2", user_data=invalid_user, value="$1")
    return [valid, invalid]


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [value for value in FORBIDDEN if value.lower() in lowered]


async def test_no_raw_personal_value_appears_in_logs_spans_or_files(launcher, tmp_path):
    async with running_otlp_receiver() as receiver:
        otel = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.address}",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
        sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
        config = launcher.write_config(sandbox)
        policy = await launcher.astart(
            "policy", "policy", "--config", str(config), "--listen", "127.0.0.1:0", environment=otel
        )
        gateway = await launcher.astart(
            "gateway",
            "gateway",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
            "--policy",
            policy.address,
            environment=otel,
        )
        metadata = (("authorization", f"Bearer {launcher.api_key()}"),)
        async with grpc.aio.insecure_channel(gateway.address) as channel:
            stub = gateway_pb2_grpc.GatewayStub(channel)
            batch = await stub.SendEvents(
                gateway_pb2.SendEventsRequest(events=personal_events()), metadata=metadata, timeout=10
            )
            assert (batch.accepted, batch.rejected) == (1, 1)
            assert leaks(str(batch)) == [], "a response echoed personal data"
            try:
                await stub.SendEvent(
                    gateway_pb2.SendEventRequest(event=personal_events()[1]), metadata=metadata, timeout=10
                )
            except grpc.aio.AioRpcError as error:
                assert leaks(error.details() or "") == []
            check = await stub.CheckEvent(
                gateway_pb2.CheckEventRequest(event=personal_events()[0]), metadata=metadata, timeout=10
            )
            assert leaks(str(check)) == [], "a dry-run preview showed personal data"
        control = SandboxControl(f"http://{sandbox.address}")

        async def delivered() -> bool:
            return len((await control.events("meta", "1234567890")).events) == 1

        deadline = time.monotonic() + 15
        while not await delivered():
            assert time.monotonic() < deadline, "the valid event was never delivered"
            await asyncio.sleep(0.05)
        recorded = (await control.events("meta", "1234567890")).events[0]
        await control.close()
        assert re.fullmatch(r"[0-9a-f]{64}", recorded["user_data"]["em"][0]), (
            "the platform did not receive a hash"
        )
        await receiver.wait_for(lambda spans: any(span.name == "deliver meta" for span in spans), timeout=10)
        launcher.stop_all()  # flush logs and the database on a graceful stop

    span_text = "\n".join(f"{span.name} {span.attributes}" for span in receiver.spans)
    assert receiver.spans and leaks(span_text) == []
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name.endswith(".db") for path in files) and any(path.suffix == ".log" for path in files)
    for path in files:
        if path.name == "signalmesh.toml":
            continue
        assert leaks(path.read_bytes().decode("utf-8", errors="replace")) == [], (
            f"{path.name} holds personal data"
        )
