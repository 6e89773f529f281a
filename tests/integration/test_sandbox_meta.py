"""The sandbox's Meta endpoint and control API, over real HTTP on a free loopback port."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl, SandboxControlError

TOKEN = "sandbox-token"
PIXEL = "1234567890"
SEED = 20261123
START = 1_780_000_000.0


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
    server = await start_sandbox(tokens=(TOKEN,), clock=clock, rng=random.Random(SEED))
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


def purchase(event_id: str | None = "order-1", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_name": "Purchase",
        "event_time": int(START) - 60,
        "action_source": "website",
        "event_source_url": "https://shop.example/checkout",
        "user_data": {
            "em": [sha256("john_smith@gmail.com")],
            "client_ip_address": "203.0.113.7",
            "client_user_agent": "Mozilla/5.0",
        },
        "custom_data": {"value": 29.99, "currency": "USD"},
    }
    if event_id is not None:
        event["event_id"] = event_id
    return event | changes


async def post_events(
    http: aiohttp.ClientSession, sandbox: SandboxServer, body: dict[str, Any], token: str | None = TOKEN
) -> tuple[int, dict[str, Any], Mapping[str, str]]:
    params = {"access_token": token} if token else {}
    url = f"{sandbox.url}/v25.0/{PIXEL}/events"
    async with http.post(url, json=body, params=params) as response:
        return response.status, await response.json(), response.headers


async def test_valid_batch_is_accepted_and_recorded_as_received(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    events = [purchase("order-1"), purchase("order-2")]
    status, body, _ = await post_events(http, sandbox, {"data": events})
    assert status == 200
    assert body["events_received"] == 2 and body["messages"] == [] and body["fbtrace_id"]
    recorded = await control.events("meta", PIXEL)
    assert (recorded.events, recorded.duplicates) == (events, 0)


@pytest.mark.parametrize("where", ["query", "body", "bearer header"])
async def test_token_is_accepted_in_query_body_or_bearer_header(
    where: str, http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    body: dict[str, Any] = {"data": [purchase()]}
    params, headers = {}, {}
    if where == "query":
        params["access_token"] = TOKEN
    elif where == "body":
        body["access_token"] = TOKEN
    else:
        headers["Authorization"] = f"Bearer {TOKEN}"
    url = f"{sandbox.url}/v25.0/{PIXEL}/events"
    async with http.post(url, json=body, params=params, headers=headers) as response:
        assert response.status == 200


@pytest.mark.parametrize("token", [None, "stolen-token"])
async def test_missing_or_unknown_token_is_graph_oauth_error_190(
    token: str | None, http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body, _ = await post_events(http, sandbox, {"data": [purchase()]}, token=token)
    assert status == 400
    assert {key: body["error"][key] for key in ("message", "type", "code")} == {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
    }
    assert body["error"]["fbtrace_id"]
    assert (await control.events("meta", PIXEL)).events == []


async def test_one_unhashed_event_rejects_the_whole_batch(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    plain_email = {"em": "john_smith@gmail.com", "client_user_agent": "Mozilla/5.0"}
    unhashed = purchase("order-2", user_data=plain_email)
    status, body, _ = await post_events(http, sandbox, {"data": [purchase("order-1"), unhashed]})
    assert status == 400
    assert body["error"]["code"] == 100
    assert body["error"]["error_data"]["blame_field_specs"] == [["data", "1", "user_data.em"]]
    assert "must be hashed with SHA-256" in body["error"]["error_user_msg"]
    assert (await control.events("meta", PIXEL)).events == []
    assert (await control.stats())["meta"]["rejected_requests"] == 1


async def test_stale_event_answers_like_meta_event_timestamp_too_old(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    stale = purchase(event_time=int(START) - 8 * 86_400)
    status, body, headers = await post_events(http, sandbox, {"data": [stale]})
    assert status == 400
    error = body["error"]
    assert error["message"] == "Invalid parameter" and error["type"] == "OAuthException"
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (100, 2804003, False)
    assert error["error_user_title"] == "Event Timestamp Too Old"
    assert error["error_data"] == {"blame_field_specs": [["data", "0", "event_time"]]}
    assert headers["x-fb-trace-id"] == error["fbtrace_id"]


async def test_form_encoded_body_with_json_data_is_accepted(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    form = {"data": json.dumps([purchase()]), "access_token": TOKEN}
    async with http.post(f"{sandbox.url}/v25.0/{PIXEL}/events", data=form) as response:
        assert response.status == 200
        assert (await response.json())["events_received"] == 1
    assert (await control.events("meta", PIXEL)).events == [purchase()]


async def test_more_than_1000_events_is_refused_naming_the_limit(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body, _ = await post_events(http, sandbox, {"data": [purchase(str(i)) for i in range(1001)]})
    assert status == 400
    assert body["error"]["code"] == 100 and "1000" in body["error"]["message"]


async def test_batch_of_1000_events_is_accepted(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body, _ = await post_events(http, sandbox, {"data": [purchase(str(i)) for i in range(1000)]})
    assert (status, body["events_received"]) == (200, 1000)
    assert len((await control.events("meta", PIXEL)).events) == 1000


async def test_test_event_code_events_are_kept_apart_from_production(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, _, _ = await post_events(http, sandbox, {"data": [purchase()], "test_event_code": "TEST123"})
    assert status == 200
    assert (await control.events("meta", PIXEL)).events == []
    assert (await control.events("meta", PIXEL, test=True)).events == [purchase()]
    stats = (await control.stats())["meta"]
    assert (stats["accepted_events"], stats["test_events"]) == (0, 1)


async def test_same_event_id_and_name_is_counted_as_duplicate_not_recorded_again(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    for _ in range(2):
        status, body, _ = await post_events(http, sandbox, {"data": [purchase("order-1")]})
        assert (status, body["events_received"]) == (200, 1)
    lead = purchase("order-1", event_name="Lead")
    await post_events(http, sandbox, {"data": [lead]})
    recorded = await control.events("meta", PIXEL)
    assert recorded.events == [purchase("order-1"), lead]
    assert recorded.duplicates == 1
    assert (await control.stats())["meta"]["duplicates"] == 1


async def test_duplicate_after_the_48_hour_window_is_recorded_again(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl, clock: FakeClock
) -> None:
    await post_events(http, sandbox, {"data": [purchase("order-1")]})
    clock.now = START + 48 * 3600 - 1
    await post_events(http, sandbox, {"data": [purchase("order-1", event_time=int(clock.now) - 60)]})
    assert len((await control.events("meta", PIXEL)).events) == 1
    clock.now = START + 48 * 3600
    await post_events(http, sandbox, {"data": [purchase("order-1", event_time=int(clock.now) - 60)]})
    recorded = await control.events("meta", PIXEL)
    assert (len(recorded.events), recorded.duplicates) == (2, 1)


async def test_events_without_event_id_are_always_recorded(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await post_events(http, sandbox, {"data": [purchase(None), purchase(None)]})
    recorded = await control.events("meta", PIXEL)
    assert (len(recorded.events), recorded.duplicates) == (2, 0)


async def test_injected_500_answers_the_next_count_requests_with_graph_transient_error(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="meta", status=500, count=2)
    answers = [await post_events(http, sandbox, {"data": [purchase(str(i))]}) for i in range(3)]
    assert [status for status, _, _ in answers] == [500, 500, 200]
    error = answers[0][1]["error"]
    assert (error["code"], error["is_transient"], error["type"]) == (2, True, "OAuthException")
    assert error["message"] == "An unexpected error has occurred. Please retry your request later."
    assert (await control.events("meta", PIXEL)).events == [purchase("2")]
    stats = (await control.stats())["meta"]
    assert stats["by_status"] == {"500": 2, "200": 1}
    assert (stats["requests"], stats["faults_injected"], stats["rejected_requests"]) == (3, 2, 0)


async def test_injected_429_carries_retry_after_and_throttling_code(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="meta", status=429, retry_after=2, count=1)
    status, body, headers = await post_events(http, sandbox, {"data": [purchase()]})
    assert (status, headers["Retry-After"]) == (429, "2")
    assert (body["error"]["code"], body["error"]["is_transient"]) == (4, True)


async def test_rate_fault_fires_as_the_seeded_random_says(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="meta", status=503, rate=0.5)
    expected_rng = random.Random(SEED)
    expected = [503 if expected_rng.random() < 0.5 else 200 for _ in range(20)]
    statuses = [(await post_events(http, sandbox, {"data": [purchase(str(i))]}))[0] for i in range(20)]
    assert statuses == expected
    assert 0 < statuses.count(503) < 20


async def test_reset_fault_closes_the_connection_without_an_answer(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="meta", reset=True, count=1)
    with pytest.raises(aiohttp.ClientConnectionError):
        await post_events(http, sandbox, {"data": [purchase()]})
    status, _, _ = await post_events(http, sandbox, {"data": [purchase()]})
    assert status == 200
    assert (await control.stats())["meta"]["by_status"] == {"reset": 1, "200": 1}


async def test_latency_fault_delays_the_answer(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="meta", latency_ms=300, count=1)
    started = time.monotonic()
    status, _, _ = await post_events(http, sandbox, {"data": [purchase()]})
    assert status == 200
    assert time.monotonic() - started >= 0.3
    assert await control.faults() == []


async def test_clearing_faults_restores_normal_answers(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="meta", status=503)
    assert (await post_events(http, sandbox, {"data": [purchase()]}))[0] == 503
    assert await control.clear_faults() == 1
    assert (await post_events(http, sandbox, {"data": [purchase()]}))[0] == 200


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"platform": "myspace", "status": 500}, "platform must be one of"),
        ({"platform": "meta", "status": 200}, "status must be"),
        ({"platform": "meta", "status": 500, "count": 0}, "count must be"),
        ({"platform": "meta", "status": 500, "rate": 1.5}, "rate must be"),
        ({"platform": "meta", "reset": True, "status": 500}, "exclude each other"),
        ({"platform": "meta"}, "needs a status, latency_ms or reset"),
        ({"platform": "meta", "status": 500, "cout": 3}, "unknown fault keys"),
    ],
)
async def test_invalid_fault_is_refused_with_the_reason(
    fault: dict[str, Any], says: str, control: SandboxControl
) -> None:
    with pytest.raises(SandboxControlError, match=says) as refused:
        await control.inject(**fault)
    assert refused.value.status == 400
    assert await control.faults() == []


async def test_reset_clears_events_faults_and_counters(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await post_events(http, sandbox, {"data": [purchase()]})
    await control.inject(platform="meta", status=500)
    await control.reset()
    assert (await control.events("meta", PIXEL)).events == []
    assert await control.faults() == []
    assert (await control.stats())["meta"]["requests"] == 0
    assert (await post_events(http, sandbox, {"data": [purchase()]}))[0] == 200


async def test_non_numeric_pixel_is_graph_unknown_object_error(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    async with http.post(
        f"{sandbox.url}/v25.0/my-pixel/events", json={"data": [purchase()]}, params={"access_token": TOKEN}
    ) as response:
        body = await response.json()
    assert response.status == 400
    assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 33)


async def test_path_without_a_graph_version_is_not_found(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    async with http.post(f"{sandbox.url}/25.0/{PIXEL}/events", json={"data": [purchase()]}) as response:
        assert response.status == 404


async def test_health_answers_ok_on_the_bound_port(sandbox: SandboxServer, control: SandboxControl) -> None:
    assert sandbox.port > 0 and sandbox.url == f"http://127.0.0.1:{sandbox.port}"
    assert await control.health()


async def test_events_query_needs_a_known_platform_and_destination(control: SandboxControl) -> None:
    with pytest.raises(SandboxControlError) as refused:
        await control.events("myspace", PIXEL)
    assert refused.value.status == 400
