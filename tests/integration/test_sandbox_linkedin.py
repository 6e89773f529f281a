"""The sandbox's LinkedIn Conversions API endpoint, over real HTTP on a free loopback port."""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl

TOKEN = "sandbox-token"
RULE = "urn:lla:llaPartnerConversion:123456"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
START_MS = int(START * 1000)
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "LinkedIn-Version": "202609",
    "X-Restli-Protocol-Version": "2.0.0",
    "X-RestLi-Method": "BATCH_CREATE",
}


class FakeClock:
    """A clock the test moves by hand, so version sunsets need no waiting."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(tokens=(TOKEN,), clock=clock, rng=random.Random(7))
    yield server
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
async def control(sandbox: SandboxServer) -> AsyncIterator[SandboxControl]:
    async with SandboxControl(sandbox.url) as client:
        yield client


def purchase(event_id: str | None = "order-1", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "conversion": RULE,
        "conversionHappenedAt": START_MS - 60_000,
        "conversionValue": {"currencyCode": "USD", "amount": "29.90"},
        "user": {
            "userIds": [
                {"idType": "SHA256_EMAIL", "idValue": hashlib.sha256(b"jane@example.com").hexdigest()}
            ]
        },
    }
    if event_id is not None:
        event["eventId"] = event_id
    return event | changes


async def post(
    http: aiohttp.ClientSession, sandbox: SandboxServer, body: Any, **header_changes: str | None
) -> tuple[int, Any, Mapping[str, str]]:
    headers = {key: value for key, value in {**HEADERS, **header_changes}.items() if value is not None}
    async with http.post(f"{sandbox.url}/rest/conversionEvents", json=body, headers=headers) as response:
        text = await response.text()
        return response.status, (await response.json() if text else None), response.headers


async def test_valid_batch_is_answered_per_element_and_recorded_under_its_conversion(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    events = [purchase("order-1"), purchase("order-2")]
    status, body, headers = await post(http, sandbox, {"elements": events})
    assert (status, body) == (200, {"elements": [{"status": 201}, {"status": 201}]})
    assert headers["x-li-uuid"]  # LinkedIn's request id header (§4.6)
    recorded = await control.events("linkedin", RULE)
    assert (recorded.events, recorded.duplicates) == (events, 0)
    assert (await control.stats())["linkedin"]["accepted_events"] == 2


async def test_a_bad_element_is_rejected_alone_with_the_field_path(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    in_seconds = purchase("order-2", conversionHappenedAt=int(START) - 60)
    status, body, _ = await post(http, sandbox, {"elements": [purchase("order-1"), in_seconds]})
    assert status == 200
    ok, bad = body["elements"]
    assert ok == {"status": 201}
    assert bad["status"] == 422
    assert bad["error"]["message"].startswith("ERROR :: /conversionHappenedAt :: ")
    assert "looks like epoch seconds" in bad["error"]["message"]
    assert (await control.events("linkedin", RULE)).events == [purchase("order-1")]


async def test_user_ids_left_out_is_422_even_with_other_identifiers(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    """LinkedIn: userIds must be present, as [] when empty (§4.3)."""
    lead_only = purchase(user={"lead": "urn:li:leadGenFormResponse:abc"})
    _, body, _ = await post(http, sandbox, {"elements": [lead_only]})
    assert body["elements"][0]["status"] == 422
    assert "/user/userIds" in body["elements"][0]["error"]["message"]


@pytest.mark.parametrize(
    ("authorization", "service_error_code"), [(None, 65604), ("Bearer stolen-token", 65600), ("t0k", 65604)]
)
async def test_missing_or_unknown_token_is_a_rest_li_401(
    http: aiohttp.ClientSession,
    sandbox: SandboxServer,
    control: SandboxControl,
    authorization: str | None,
    service_error_code: int,
) -> None:
    status, body, _ = await post(http, sandbox, {"elements": [purchase()]}, Authorization=authorization)
    assert (status, body["status"], body["serviceErrorCode"]) == (401, 401, service_error_code)
    assert (await control.events("linkedin", RULE)).events == []
    assert (await control.stats())["linkedin"]["rejected_requests"] == 1


async def test_a_version_sunsets_twelve_months_on(
    http: aiohttp.ClientSession, sandbox: SandboxServer, clock: FakeClock
) -> None:
    """LinkedIn FAQ: 202511 sunsets on 2026-11-16 (§4.1); afterwards every call fails with 426."""
    clock.now = datetime(2026, 11, 15, 23, tzinfo=UTC).timestamp()
    event = purchase(conversionHappenedAt=int(clock.now * 1000))
    assert (await post(http, sandbox, {"elements": [event]}, **{"LinkedIn-Version": "202511"}))[0] == 200
    clock.now = datetime(2026, 11, 16, 1, tzinfo=UTC).timestamp()
    status, body, _ = await post(http, sandbox, {"elements": [event]}, **{"LinkedIn-Version": "202511"})
    assert status == 426
    assert body == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 20251101 is not active",
    }


async def test_missing_version_header_is_426_version_missing(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body, _ = await post(http, sandbox, {"elements": [purchase()]}, **{"LinkedIn-Version": None})
    assert (status, body["code"]) == (426, "VERSION_MISSING")


async def test_missing_restli_protocol_version_is_400(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body, _ = await post(
        http, sandbox, {"elements": [purchase()]}, **{"X-Restli-Protocol-Version": None}
    )
    assert status == 400 and "2.0.0" in body["message"]


async def test_without_batch_create_the_body_is_one_event_answered_201(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body, _ = await post(http, sandbox, purchase(), **{"X-RestLi-Method": None})
    assert (status, body) == (201, None)
    assert (await control.events("linkedin", RULE)).events == [purchase()]


async def test_an_invalid_single_event_is_a_rest_li_422_naming_the_field(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    event = purchase(conversionValue={"currencyCode": "USD", "amount": 29.9})
    status, body, _ = await post(http, sandbox, event, **{"X-RestLi-Method": None})
    assert (status, body["status"]) == (422, 422)
    assert body["message"].startswith("ERROR :: /conversionValue/amount :: ")


async def test_a_batch_body_sent_without_batch_create_is_refused(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body, _ = await post(http, sandbox, {"elements": [purchase()]}, **{"X-RestLi-Method": None})
    assert status == 422
    assert "ERROR :: /elements :: unrecognized field" in body["message"]


async def test_an_unsupported_restli_method_is_400(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body, _ = await post(
        http, sandbox, {"elements": [purchase()]}, **{"X-RestLi-Method": "BATCH_DELETE"}
    )
    assert status == 400 and "BATCH_CREATE" in body["message"]


async def test_more_than_5000_elements_is_refused_and_5000_accepted(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body, _ = await post(http, sandbox, {"elements": [purchase(str(i)) for i in range(5001)]})
    assert status == 400 and "5000" in body["message"]
    status, body, _ = await post(http, sandbox, {"elements": [purchase(str(i)) for i in range(5000)]})
    assert status == 200 and len(body["elements"]) == 5000
    assert len((await control.events("linkedin", RULE)).events) == 5000


async def test_same_event_id_is_counted_as_duplicate_per_conversion(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    other_rule = "urn:lla:llaPartnerConversion:999"
    await post(http, sandbox, {"elements": [purchase("order-1"), purchase("order-1")]})
    await post(
        http,
        sandbox,
        {"elements": [purchase("order-1", conversion=other_rule), purchase(None), purchase(None)]},
    )
    recorded = await control.events("linkedin", RULE)
    assert (recorded.events, recorded.duplicates) == (
        [purchase("order-1"), purchase(None), purchase(None)],
        1,
    )
    assert (await control.events("linkedin", other_rule)).events == [
        purchase("order-1", conversion=other_rule)
    ]


async def test_injected_429_is_a_rest_li_throttle_error_with_retry_after(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="linkedin", status=429, retry_after=3, count=1)
    status, body, headers = await post(http, sandbox, {"elements": [purchase()]})
    assert (status, headers["Retry-After"], body["status"], body["code"]) == (
        429,
        "3",
        429,
        "TOO_MANY_REQUESTS",
    )
    assert (await post(http, sandbox, {"elements": [purchase()]}))[0] == 200


async def test_health_lists_linkedin(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sandbox.url}/_sandbox/health") as response:
        assert "linkedin" in (await response.json())["platforms"]
