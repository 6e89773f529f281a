"""The sandbox's TikTok endpoint over real HTTP on a free loopback port.

TikTok answers refusals with HTTP 200 and a non-zero ``code`` (platforms.md §3.6), so most
assertions read the body's code, not the status.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl

TOKEN = "sandbox-token"
PIXEL = "C4PIXEL0123456789"
START = 1_780_000_000.0
TRACK = "/open_api/v1.3/event/track/"


class FakeClock:
    """A clock the test moves by hand, so the 48 h dedup window needs no waiting."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(tokens=(TOKEN,), clock=clock, rng=random.Random(20261123))
    yield server
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest.fixture
async def control(sandbox: SandboxServer) -> AsyncIterator[SandboxControl]:
    async with SandboxControl(sandbox.url) as client:
        yield client


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def payment(event_id: str | None = "order-1", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": "CompletePayment",
        "event_time": int(START) - 60,
        "user": {
            "email": [sha256("john.smith@example.com")],
            "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0",
        },
        "properties": {"value": 29.99, "currency": "USD"},
        "page": {"url": "https://shop.example/checkout"},
    }
    if event_id is not None:
        event["event_id"] = event_id
    return event | changes


def track_body(*events: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"event_source": "web", "event_source_id": PIXEL, "data": list(events)} | top


async def track(
    http: aiohttp.ClientSession, sandbox: SandboxServer, body: Any, token: str | None = TOKEN
) -> tuple[int, dict[str, Any], Mapping[str, str]]:
    headers = {"Access-Token": token} if token is not None else {}
    async with http.post(sandbox.url + TRACK, json=body, headers=headers) as response:
        return response.status, await response.json(), response.headers


async def test_valid_batch_is_accepted_with_code_0_and_recorded(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    events = [payment("order-1"), payment("order-2")]
    status, body, headers = await track(http, sandbox, track_body(*events))
    assert status == 200
    assert (body["code"], body["message"], body["data"]) == (0, "OK", {})
    assert body["request_id"] and headers["X-Tt-Logid"] == body["request_id"]
    recorded = await control.events("tiktok", PIXEL)
    assert (recorded.events, recorded.duplicates) == (events, 0)
    assert (await control.stats())["tiktok"]["accepted_events"] == 2


@pytest.mark.parametrize(("token", "code"), [(None, 40104), ("", 40104), ("stolen-token", 40105)])
async def test_missing_or_unknown_token_is_http_200_with_tiktoks_token_code(
    token: str | None, code: int, http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body, _ = await track(http, sandbox, track_body(payment()), token=token)
    assert (status, body["code"]) == (200, code)
    assert "Access token" in body["message"] and body["request_id"]
    assert (await control.events("tiktok", PIXEL)).events == []


async def test_one_unhashed_email_fails_the_whole_batch_with_40062(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    unhashed = payment("order-2", user={"email": "john.smith@example.com"})
    status, body, _ = await track(http, sandbox, track_body(payment("order-1"), unhashed))
    assert (status, body["code"]) == (200, 40062)
    assert body["message"].startswith("data[1].user.email: PII not hashed")
    assert (await control.events("tiktok", PIXEL)).events == []


async def test_stale_event_is_a_parameter_error_naming_it(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    stale = payment(event_time=int(START) - 8 * 86_400)
    status, body, _ = await track(http, sandbox, track_body(stale))
    assert (status, body["code"]) == (200, 40002)
    assert body["message"].startswith("data[0].event_time:")


async def test_body_that_is_not_json_is_invalid_params(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    headers = {"Access-Token": TOKEN, "Content-Type": "application/json"}
    async with http.post(sandbox.url + TRACK, data=b"{not json", headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["code"] == 40000


async def test_more_than_1000_events_is_invalid_batch_size(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body, _ = await track(http, sandbox, track_body(*[payment(str(i)) for i in range(1001)]))
    assert (status, body["code"]) == (200, 40061)
    assert "1000" in body["message"]


async def test_batch_of_1000_events_is_accepted(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    _, body, _ = await track(http, sandbox, track_body(*[payment(str(i)) for i in range(1000)]))
    assert body["code"] == 0
    assert len((await control.events("tiktok", PIXEL)).events) == 1000


async def test_test_event_code_events_are_kept_apart_from_production(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    _, body, _ = await track(http, sandbox, track_body(payment(), test_event_code="TEST123"))
    assert body["code"] == 0
    assert (await control.events("tiktok", PIXEL)).events == []
    assert (await control.events("tiktok", PIXEL, test=True)).events == [payment()]
    stats = (await control.stats())["tiktok"]
    assert (stats["accepted_events"], stats["test_events"]) == (0, 1)


async def test_same_event_and_event_id_is_a_duplicate_but_another_event_name_is_not(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    for _ in range(2):
        assert (await track(http, sandbox, track_body(payment("order-1"))))[1]["code"] == 0
    checkout = payment("order-1", event="InitiateCheckout")
    await track(http, sandbox, track_body(checkout))
    recorded = await control.events("tiktok", PIXEL)
    assert recorded.events == [payment("order-1"), checkout]
    assert recorded.duplicates == 1
    assert (await control.stats())["tiktok"]["duplicates"] == 1


async def test_another_pixel_keeps_its_own_dedup_keys(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await track(http, sandbox, track_body(payment("order-1")))
    await track(http, sandbox, track_body(payment("order-1"), event_source_id="C4OTHERPIXEL"))
    assert len((await control.events("tiktok", PIXEL)).events) == 1
    assert len((await control.events("tiktok", "C4OTHERPIXEL")).events) == 1


async def test_duplicate_after_the_48_hour_window_is_recorded_again(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl, clock: FakeClock
) -> None:
    await track(http, sandbox, track_body(payment("order-1")))
    clock.now = START + 48 * 3600 - 1
    await track(http, sandbox, track_body(payment("order-1", event_time=int(clock.now) - 60)))
    assert len((await control.events("tiktok", PIXEL)).events) == 1
    clock.now = START + 48 * 3600
    await track(http, sandbox, track_body(payment("order-1", event_time=int(clock.now) - 60)))
    recorded = await control.events("tiktok", PIXEL)
    assert (len(recorded.events), recorded.duplicates) == (2, 1)


async def test_events_without_event_id_are_always_recorded(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await track(http, sandbox, track_body(payment(None), payment(None)))
    recorded = await control.events("tiktok", PIXEL)
    assert (len(recorded.events), recorded.duplicates) == (2, 0)


async def test_injected_429_is_tiktoks_throttling_code_with_retry_after(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="tiktok", status=429, retry_after=2, count=1)
    status, body, headers = await track(http, sandbox, track_body(payment()))
    assert (status, body["code"], headers["Retry-After"]) == (429, 40100, "2")
    assert body["request_id"] and body["data"] == {}
    assert (await track(http, sandbox, track_body(payment())))[1]["code"] == 0


@pytest.mark.parametrize(("status", "code"), [(500, 50000), (503, 50000), (504, 50002)])
async def test_injected_server_error_is_tiktoks_system_error_code(
    status: int, code: int, http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="tiktok", status=status, count=1)
    answer_status, body, _ = await track(http, sandbox, track_body(payment()))
    assert (answer_status, body["code"]) == (status, code)
    assert (await control.events("tiktok", PIXEL)).events == []
    stats = (await control.stats())["tiktok"]
    assert (stats["requests"], stats["faults_injected"]) == (1, 1)


async def test_a_tiktok_fault_leaves_other_platforms_alone(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="tiktok", status=503)
    async with http.post(f"{sandbox.url}/webhook/crm", json={"events": []}) as response:
        assert response.status == 200
    assert (await track(http, sandbox, track_body(payment())))[0] == 503


async def test_health_lists_tiktok(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sandbox.url}/_sandbox/health") as response:
        assert "tiktok" in (await response.json())["platforms"]


async def test_path_without_the_trailing_slash_is_not_found(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    async with http.post(sandbox.url + TRACK.rstrip("/"), json=track_body(payment())) as response:
        assert response.status == 404
