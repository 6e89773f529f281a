"""A partial failure retries only the events that failed: the dispatcher over a real SQLite store
and real HTTP, against a platform that answers per event (like Google Ads' partial_failure or
LinkedIn's per-element statuses), failing some events once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from signalmesh.config import DispatcherConfig
from signalmesh.connector import (
    Destination,
    HttpRequest,
    HttpResponse,
    Outcome,
    OutcomeKind,
    TransportFailure,
)
from signalmesh.gateway.dispatcher import Dispatcher
from signalmesh.gateway.transport import Transport
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry
from signalmesh.store import NewEntry, SqliteStore, StatusRecord
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

from tests.support.fake_connector import FakeConnector

T0 = 1_800_000_000.0


class PerEventConnector(FakeConnector):
    """The fake connector, reading the platform's answer per event: {"results": [{id, ok}]}."""

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        if isinstance(response, TransportFailure) or response.status != 200:
            return super().classify(request, response)
        ok = {item["id"]: item["ok"] for item in json.loads(response.body)["results"]}
        return [
            Outcome(event_id, OutcomeKind.DELIVERED if ok[event_id] else OutcomeKind.RETRY, "per event")
            for event_id in request.event_ids
        ]


class PerEventPlatform:
    """Fails the listed event ids the first time it sees them; records every request's ids."""

    def __init__(self, fail_once: set[str]) -> None:
        self.fail_once = set(fail_once)
        self.requests: list[list[str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        ids = [item["id"] for item in (await request.json())["events"]]
        self.requests.append(ids)
        results = [{"id": event_id, "ok": event_id not in self.fail_once} for event_id in ids]
        self.fail_once -= set(ids)
        return web.json_response({"results": results})


@pytest.fixture
async def platform() -> AsyncIterator[tuple[PerEventPlatform, str]]:
    emulator = PerEventPlatform({"evt-b"})
    app = web.Application()
    app.router.add_post("/events", emulator.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield emulator, f"http://127.0.0.1:{port}/events"
    await runner.cleanup()


async def test_only_the_failed_event_of_a_batch_is_sent_again(platform, tmp_path) -> None:
    emulator, url = platform
    connector = PerEventConnector()
    destination = Destination("per-event", "fake", {"url": url})
    store = SqliteStore(tmp_path / "signalmesh.db")
    clock = [T0]
    transport = Transport(5.0)
    dispatcher = Dispatcher(
        destinations={"per-event": destination},
        registry=ConnectorRegistry([ConnectorInfo(connector, "test", "1")]),
        store=store,
        transport=transport,
        config=DispatcherConfig(linger_ms=0, base_backoff_seconds=1.0, max_backoff_seconds=1.0),
        clock=lambda: clock[0],
    )
    try:
        entries, statuses = [], []
        for event_id in ("evt-a", "evt-b", "evt-c"):
            event = event_pb2.ConversionEvent(event_id=event_id, event_name="Purchase")
            event.event_time.FromSeconds(int(T0) - 60)
            event.user_data.emails.append(f"{event_id}@example.com")
            prepared = connector.prepare(event, destination)
            entries.append(NewEntry("per-event", event_id, "Purchase", prepared.SerializeToString(), ""))
            statuses.append(
                StatusRecord(
                    event_id,
                    "per-event",
                    "Purchase",
                    policy_pb2.DECISION_SEND,
                    policy_pb2.REASON_ELIGIBLE,
                    "",
                    gateway_pb2.DELIVERY_STATE_PENDING,
                )
            )
        await store.accept(entries, statuses, T0)

        assert await dispatcher.run_once("per-event") == 3
        assert emulator.requests == [["evt-a", "evt-b", "evt-c"]]
        clock[0] += 2  # past evt-b's backoff
        assert await dispatcher.run_once("per-event") == 1
        assert emulator.requests[1] == ["evt-b"], "events the platform accepted were sent again"
        assert await dispatcher.run_once("per-event") == 0

        attempts = {
            event_id: [(record.state, record.attempts) for record in await store.event_status(event_id)]
            for event_id in ("evt-a", "evt-b", "evt-c")
        }
        delivered = gateway_pb2.DELIVERY_STATE_DELIVERED
        assert attempts == {"evt-a": [(delivered, 1)], "evt-b": [(delivered, 2)], "evt-c": [(delivered, 1)]}
    finally:
        await dispatcher.stop(1)
        await transport.close()
        await store.close()
