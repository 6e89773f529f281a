"""Raw emails, phones and names never reach a log line, a span, the outbox or any file."""

from __future__ import annotations

import asyncio
import re
import time

import grpc
import pytest
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
# GA4 and TikTok take the city in clear (platforms.md §2C, §3.2): with them configured the city
# may reach their payloads (and so the outbox); emails, phones and names never may.
CLEAR_FOR_SOME_PLATFORMS = {"xanthoville"}

EVERY_CONNECTOR = """
[policy]
default_strategy = "send_all"

[destinations.tiktok]
connector = "tiktok"
pixel_code = "CPRIVACYPIXEL0000001"
access_token = "sandbox-token"
base_url = "http://{sandbox}"

[destinations.linkedin]
connector = "linkedin"
access_token = "sandbox-token"
base_url = "http://{sandbox}"
conversion_rules = {{ Purchase = "123456" }}

[destinations.google_ads]
connector = "google_ads"
customer_id = "1234567890"
access_token = "sandbox-token"
developer_token = "sandbox-developer-token"
base_url = "http://{sandbox}"
conversion_actions = {{ Purchase = "987654321" }}

[destinations.ga4]
connector = "ga4"
measurement_id = "G-PRIVACY1"
api_secret = "sandbox-token"
base_url = "http://{sandbox}"

[destinations.crm]
connector = "webhook"
url = "http://{sandbox}/webhook/crm"
secret = "privacy-signing-secret"
"""


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
    clicked = event_pb2.ClickIds(
        fbc=f"fb.1.{int(time.time() * 1000)}.privacy", ttclid="privacy-ttclid", ga_client_id="555.1700000000"
    )
    valid = make_event("private-1", user_data=user, click_ids=clicked)
    # A rejected event must not echo the raw values in its errors either.
    invalid_user = event_pb2.UserData(
        emails=[RAW_EMAIL + " broken"], phones=["call " + RAW_PHONE + " x"], first_name=FIRST
    )
    invalid = make_event("private-2", user_data=invalid_user, value="$1")
    return [valid, invalid]


def leaks(text: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    lowered = text.lower()
    return [value for value in FORBIDDEN if value.lower() in lowered and value not in allowed]


@pytest.mark.parametrize("every_connector", [False, True], ids=["meta", "every-connector"])
async def test_no_raw_personal_value_appears_in_logs_spans_or_files(launcher, tmp_path, every_connector):
    allowed = CLEAR_FOR_SOME_PLATFORMS if every_connector else set()
    async with running_otlp_receiver() as receiver:
        otel = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.address}",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
        sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
        extra = EVERY_CONNECTOR.format(sandbox=sandbox.address) if every_connector else ""
        config = launcher.write_config(sandbox, extra=extra)
        _, gateway = await launcher.start_mesh(config, environment=otel)
        metadata = (("authorization", f"Bearer {launcher.api_key()}"),)
        async with grpc.aio.insecure_channel(gateway.address) as channel:
            stub = gateway_pb2_grpc.GatewayStub(channel)
            batch = await stub.SendEvents(
                gateway_pb2.SendEventsRequest(events=personal_events()), metadata=metadata, timeout=10
            )
            assert (batch.accepted, batch.rejected) == (1, 1)
            assert leaks(str(batch), allowed) == [], "a response echoed personal data"
            try:
                await stub.SendEvent(
                    gateway_pb2.SendEventRequest(event=personal_events()[1]), metadata=metadata, timeout=10
                )
            except grpc.aio.AioRpcError as error:
                assert leaks(error.details() or "", allowed) == []
            check = await stub.CheckEvent(
                gateway_pb2.CheckEventRequest(event=personal_events()[0]), metadata=metadata, timeout=10
            )
            assert leaks(str(check), allowed) == [], "a dry-run preview showed personal data"
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
        if every_connector:
            async with grpc.aio.insecure_channel(gateway.address) as channel:
                stub = gateway_pb2_grpc.GatewayStub(channel)
                request = gateway_pb2.GetEventStatusRequest(event_id="private-1")
                deadline = time.monotonic() + 15
                while True:
                    status = await stub.GetEventStatus(request, metadata=metadata, timeout=5)
                    states = {item.destination: item.state for item in status.destinations}
                    if set(states.values()) == {gateway_pb2.DELIVERY_STATE_DELIVERED}:
                        break
                    assert time.monotonic() < deadline, f"not delivered everywhere: {states}"
                    await asyncio.sleep(0.05)
                # The kept bodies (`signalmesh status --payload`): hashed, and no credential
                # either (GA4's api_secret travels in the query string, which is never kept).
                request = gateway_pb2.GetEventStatusRequest(event_id="private-1", include_payload=True)
                kept = await stub.GetEventStatus(request, metadata=metadata, timeout=5)
            assert set(states) == {"meta", "tiktok", "linkedin", "google_ads", "ga4", "crm"}
            assert all(item.payload.request_body for item in kept.destinations)
            assert leaks(str(kept), allowed) == [], "a kept payload holds personal data"
            assert "sandbox-token" not in str(kept) and "privacy-signing-secret" not in str(kept)
        launcher.stop_all()  # flush logs and the database on a graceful stop

    span_text = "\n".join(f"{span.name} {span.attributes}" for span in receiver.spans)
    assert receiver.spans and leaks(span_text, allowed) == []
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name.endswith(".db") for path in files) and any(path.suffix == ".log" for path in files)
    for path in files:
        if path.name == "signalmesh.toml":
            continue
        assert leaks(path.read_bytes().decode("utf-8", errors="replace"), allowed) == [], (
            f"{path.name} holds personal data"
        )
