"""The sandbox's GA4 endpoints over real HTTP on a free loopback port.

GA4's /mp/collect answers 204 for every request it receives (platforms.md §2A), so these tests
read what the sandbox recorded, not the status; /debug/mp/collect answers validationMessages.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl

SECRET = "sandbox-token"
MEASUREMENT_ID = "G-INTEGRATION"
START = 1_780_000_000.0


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(tokens=(SECRET,), clock=lambda: START)
    yield server
    await server.close()


def lead(**params: Any) -> dict[str, Any]:
    return {
        "client_id": "123.456",
        "user_data": {"sha256_email_address": [hashlib.sha256(b"jane@example.com").hexdigest()]},
        "events": [
            {
                "name": "generate_lead",
                "timestamp_micros": int(START - 60) * 1_000_000,
                "params": {"value": 5, "currency": "USD", **params},
            }
        ],
    }


async def post(sandbox: SandboxServer, path: str, body: Any, secret: str = SECRET) -> tuple[int, bytes]:
    query = {"measurement_id": MEASUREMENT_ID, "api_secret": secret}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sandbox.url}{path}", params=query, json=body) as answer,
    ):
        return answer.status, await answer.read()


async def test_collect_answers_204_and_records_valid_events(sandbox: SandboxServer) -> None:
    assert await post(sandbox, "/mp/collect", lead()) == (204, b"")
    async with SandboxControl(sandbox.url) as control:
        [event] = (await control.events("ga4", MEASUREMENT_ID)).events
        stats = (await control.stats())["ga4"]
    assert (event["name"], event["client_id"]) == ("generate_lead", "123.456")
    assert (stats["accepted_events"], stats["rejected_requests"]) == (1, 0)


async def test_collect_answers_204_for_garbage_and_records_why_it_dropped_it(sandbox: SandboxServer) -> None:
    invalid = lead()
    invalid["user_data"]["sha256_email_address"] = ["jane@example.com"]
    assert await post(sandbox, "/mp/collect", invalid) == (204, b"")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sandbox.url}/mp/collect",
            params={"measurement_id": MEASUREMENT_ID, "api_secret": SECRET},
            data=b"{not json",
        ) as answer,
    ):
        assert answer.status == 204
    async with SandboxControl(sandbox.url) as control:
        assert (await control.events("ga4", MEASUREMENT_ID)).events == []
        dropped = (await control.events("ga4", MEASUREMENT_ID + ":dropped")).events
    assert [entry["validationMessages"][0]["fieldPath"] for entry in dropped] == [
        "user_data.sha256_email_address[0]",
        "",
    ]


async def test_validation_server_answers_messages_and_ignores_the_secret(sandbox: SandboxServer) -> None:
    status, body = await post(sandbox, "/debug/mp/collect", lead(), secret="anything")
    assert (status, body) == (200, b'{"validationMessages": []}')
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sandbox.url}/debug/mp/collect",
            params={"measurement_id": MEASUREMENT_ID},
            json=lead(currency="dollars"),
        ) as answer,
    ):
        document = await answer.json()
    assert document == {
        "validationMessages": [
            {
                "fieldPath": "events[0].params.currency",
                "description": "currency must be ISO 4217, e.g. USD.",
                "validationCode": "VALUE_INVALID",
            }
        ]
    }
    async with SandboxControl(sandbox.url) as control:
        assert len((await control.events("ga4", MEASUREMENT_ID, test=True)).events) == 1
        assert (await control.events("ga4", MEASUREMENT_ID)).events == []


async def test_injected_throttling_answers_429_with_retry_after(sandbox: SandboxServer) -> None:
    async with SandboxControl(sandbox.url) as control:
        await control.inject(platform="ga4", status=429, retry_after=3, count=1)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sandbox.url}/mp/collect",
            params={"measurement_id": MEASUREMENT_ID, "api_secret": SECRET},
            json=lead(),
        ) as answer,
    ):
        assert (answer.status, answer.headers["Retry-After"]) == (429, "3")
        assert (await answer.json())["error"]["status"] == "RESOURCE_EXHAUSTED"
