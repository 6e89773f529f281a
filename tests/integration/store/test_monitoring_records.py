"""The monitoring records both backends keep beside history: deliveries (the server layer),
browser observations, alert lifecycles, named leases, first sightings and documents.
Real SQLite file, real Redis; time is the ``now`` passed in.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import replace
from typing import Any

from signalmesh.store import AlertRecord, DeliveryRecord, Observation, Store

from tests.integration.store.test_store_contract import (
    DELIVERED,
    LEASE,
    T0,
    StoreOpener,
    enqueue,
    entry,
    result,
)


def delivery(event_id: str, destination: str = "meta", **changes: Any) -> DeliveryRecord:
    record = DeliveryRecord(
        event_id=event_id,
        destination=destination,
        event_name="Purchase",
        event_time=T0,
        delivered_at=T0 + 30,
        value="49.90",
        currency="EUR",
        has_click_id=True,
        mode="live",
    )
    return replace(record, **changes)


async def deliver(store: Store, records: list[DeliveryRecord], now: float = T0 + 30) -> None:
    """Deliver one outbox entry per record, reporting the records with the outcomes."""
    await enqueue(store, *(entry(record.event_id, record.destination) for record in records), now=now)
    claimed = []
    for destination in sorted({record.destination for record in records}):
        claimed += await store.claim_outbox(destination, 100, LEASE, now)
    await store.complete([result(item, DELIVERED, "ok") for item in claimed], now, deliveries=records)


# --- deliveries ---


async def test_delivered_events_reads_records_by_event_time_and_destination(store: Store) -> None:
    await deliver(
        store,
        [
            delivery("evt-1", event_time=T0 + 10),
            delivery("evt-2", event_time=T0 + 20, value="", currency="", has_click_id=False, mode="test"),
            delivery("evt-1", "google", event_time=T0 + 10),
            delivery("evt-3", event_time=T0 + 100),
        ],
    )

    in_range = await store.delivered_events(T0 + 10, T0 + 100)
    assert [(record.event_id, record.destination) for record in in_range] == [
        ("evt-1", "google"),
        ("evt-1", "meta"),
        ("evt-2", "meta"),
    ]
    assert in_range[1] == delivery("evt-1", event_time=T0 + 10)
    assert in_range[2] == delivery(
        "evt-2", event_time=T0 + 20, value="", currency="", has_click_id=False, mode="test"
    )
    assert [record.event_id for record in await store.delivered_events(0, math.inf, "meta")] == [
        "evt-1",
        "evt-2",
        "evt-3",
    ]
    assert await store.delivered_events(0, math.inf, "tiktok") == []


async def test_a_delivery_reported_again_replaces_the_earlier_record(store: Store) -> None:
    await deliver(store, [delivery("evt-1", delivered_at=T0 + 30)])
    # replayed and delivered again, with an event time corrected on the way
    await deliver(store, [delivery("evt-1", event_time=T0 + 5, delivered_at=T0 + 900)], now=T0 + 900)

    assert await store.delivered_events(0, math.inf) == [
        delivery("evt-1", event_time=T0 + 5, delivered_at=T0 + 900)
    ]
    assert await store.delivered_events(T0, T0 + 1) == [], "the old event time is still indexed"


async def test_a_record_repeated_in_one_completion_ends_as_its_last_copy(store: Store) -> None:
    await enqueue(store, entry("evt-1", "meta"), now=T0)
    (claimed,) = await store.claim_outbox("meta", 100, LEASE, T0)
    first, last = (
        delivery("evt-1", delivered_at=T0 + 30),
        delivery("evt-1", event_time=T0 + 5, delivered_at=T0 + 31),
    )
    await store.complete([result(claimed, DELIVERED, "ok")], T0 + 31, deliveries=[first, last])

    assert await store.delivered_events(0, math.inf) == [last]


# --- observations ---


async def test_observations_are_kept_once_per_event_name_and_destination(store: Store) -> None:
    pixel = Observation("evt-1", "Purchase", T0 + 1, "meta")
    await store.record_observations(
        [
            pixel,
            replace(pixel, event_time=T0 + 2),  # the tag fired twice
            replace(pixel, event_name="AddPaymentInfo"),
            replace(pixel, destination=""),
            Observation("evt-2", "Lead", T0 + 50),
        ],
        T0 + 60,
    )
    await store.record_observations([pixel], T0 + 120)  # the same file loaded again

    kept = await store.observations(0, math.inf)

    assert sorted(kept, key=lambda item: (item.event_id, item.event_name, item.destination)) == [
        Observation("evt-1", "AddPaymentInfo", T0 + 1, "meta"),
        Observation("evt-1", "Purchase", T0 + 1, ""),
        Observation("evt-1", "Purchase", T0 + 1, "meta"),
        Observation("evt-2", "Lead", T0 + 50, ""),
    ]
    assert [item.event_time for item in kept] == sorted(item.event_time for item in kept)
    assert await store.observations(T0 + 2, T0 + 50) == []
    assert await store.observations(T0 + 50, T0 + 51) == [Observation("evt-2", "Lead", T0 + 50, "")]


# --- alerts ---


def alert(key: str = "volume_drop:meta", **changes: Any) -> AlertRecord:
    record = AlertRecord(
        alert_key=key,
        rule=key.partition(":")[0],
        severity="warning",
        state="firing",
        destination="meta",
        fired_at=T0,
        details=json.dumps({"figure": 12, "baseline": 40, "threshold": 0.5, "window": "1h"}),
    )
    return replace(record, **changes)


async def test_an_alerts_lifecycle_is_kept_by_key_and_survives_reopening(backend: StoreOpener) -> None:
    first = backend.open()
    assert await first.alerts() == []
    await first.save_alerts([alert(), alert("refusals:google", destination="google", fired_at=T0 + 5)])
    await first.save_alerts([alert(notified_state="firing")])  # notified: replaces, not adds
    await first.close()

    reopened = backend.open()
    assert await reopened.alerts() == [
        alert(notified_state="firing"),
        alert("refusals:google", destination="google", fired_at=T0 + 5),
    ]
    resolved = alert(state="resolved", resolved_at=T0 + 3600, notified_state="resolved")
    await reopened.save_alerts([resolved])
    await reopened.close()

    again = backend.open()
    assert [(record.alert_key, record.state) for record in await again.alerts()] == [
        ("volume_drop:meta", "resolved"),
        ("refusals:google", "firing"),
    ]
    assert (await again.alerts())[0] == resolved


# --- leases ---


async def test_a_lease_is_held_by_one_holder_until_it_expires_and_renewed_by_its_holder(
    backend: StoreOpener,
) -> None:
    gateway_a, gateway_b = backend.open(), backend.open()
    ttl = 60.0

    assert await gateway_a.acquire_lease("alerts", "a", ttl, T0)
    assert not await gateway_b.acquire_lease("alerts", "b", ttl, T0 + 59)
    assert await gateway_a.acquire_lease("alerts", "a", ttl, T0 + 50), "the holder could not renew"
    # renewed at T0 + 50: held until T0 + 110, not T0 + 60
    assert not await gateway_b.acquire_lease("alerts", "b", ttl, T0 + 100)
    assert await gateway_b.acquire_lease("alerts", "b", ttl, T0 + 110), "an expired lease was not taken over"
    assert not await gateway_a.acquire_lease("alerts", "a", ttl, T0 + 111)
    # Another name is another lease.
    assert await gateway_a.acquire_lease("reconcile", "a", ttl, T0 + 111)


async def test_two_stores_racing_for_a_free_lease_never_both_get_it(backend: StoreOpener) -> None:
    stores = [backend.open(), backend.open()]

    for round_number in range(20):
        name = f"lease-{round_number}"
        won = await asyncio.gather(
            *(
                store.acquire_lease(name, f"holder-{index}-{attempt}", 60.0, T0)
                for attempt in range(5)
                for index, store in enumerate(stores)
            )
        )
        assert sum(won) == 1, (name, won)


# --- first sightings and documents ---


async def test_first_seen_keeps_the_first_time_a_name_was_seen(backend: StoreOpener) -> None:
    store = backend.open()
    assert await store.first_seen("meta:fp-1a2b", T0) == T0
    assert await store.first_seen("meta:fp-1a2b", T0 + 86_400) == T0
    assert await store.first_seen("meta:fp-other", T0 + 5) == T0 + 5
    await store.close()

    assert await backend.open().first_seen("meta:fp-1a2b", T0 + 10 * 86_400) == T0


async def test_a_document_is_the_latest_body_put_of_its_kind(backend: StoreOpener) -> None:
    store = backend.open()
    assert await store.get_document("reconciliation") is None
    await store.put_document("reconciliation", '{"days": 1}', T0)
    await store.put_document("reconciliation", '{"days": 2}', T0 + 60)
    await store.put_document("report", "{}", T0 + 1)
    await store.close()

    reopened = backend.open()
    assert await reopened.get_document("reconciliation") == ('{"days": 2}', T0 + 60)
    assert await reopened.get_document("report") == ("{}", T0 + 1)
