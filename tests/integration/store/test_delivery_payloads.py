"""Each event's last exchange (body sent, platform answer) is kept beside its status, in the same
write as the result, and forgotten with the status. Real SQLite file, real Redis."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import redis
from signalmesh.gateway.kept_payloads import MAX_KEPT_BYTES, bounded
from signalmesh.store import DeliveryPayload, RedisStore, SqliteStore, Store
from signalmesh.v1 import gateway_pb2, policy_pb2

from tests.integration.store.test_store_contract import LEASE, T0, enqueue, entry, result, status

DELIVERED = gateway_pb2.DELIVERY_STATE_DELIVERED
REJECTED = gateway_pb2.DELIVERY_STATE_REJECTED
RETRYING = gateway_pb2.DELIVERY_STATE_RETRYING
SKIPPED = gateway_pb2.DELIVERY_STATE_SKIPPED

SENT = DeliveryPayload(
    request_body='{"data":[{"event_id":"evt-1","custom_data":{"value":29.99}}]}',
    response_body='{"events_received":1}',
    response_status=200,
    request_events=3,
    request_index=1,
)


async def test_the_payload_of_a_result_is_kept_and_read_back_per_destination(store: Store) -> None:
    await enqueue(store, entry("evt-1"), entry("evt-1", destination="tiktok"))
    [meta] = await store.claim_outbox("meta", 10, LEASE, T0)
    [tiktok] = await store.claim_outbox("tiktok", 10, LEASE, T0)
    refused = replace(SENT, response_body='{"code":40001}', response_status=400, request_events=1)
    await store.complete(
        [
            replace(result(meta, DELIVERED, "delivered"), payload=SENT),
            replace(result(tiktok, REJECTED, "rejected"), payload=refused),
        ],
        T0 + 1,
    )

    kept = await store.delivery_payloads("evt-1")
    assert [(item.destination, item.event_name) for item in kept] == [
        ("meta", "Purchase"),
        ("tiktok", "Purchase"),
    ]
    assert [item.payload for item in kept] == [SENT, refused]
    assert {item.recorded_at for item in kept} == {T0 + 1}
    assert await store.delivery_payloads("evt-unknown") == []


async def test_a_later_attempt_replaces_the_payload_and_a_result_without_one_keeps_it(store: Store) -> None:
    await enqueue(store, entry("evt-2"))
    [first] = await store.claim_outbox("meta", 10, LEASE, T0)
    failed = replace(SENT, response_body='{"error":{"code":2}}', response_status=503)
    await store.complete([replace(result(first, RETRYING, "retry", T0 + 5), payload=failed)], T0 + 1)
    assert [item.payload for item in await store.delivery_payloads("evt-2")] == [failed]

    [second] = await store.claim_outbox("meta", 10, LEASE, T0 + 5)
    await store.complete([replace(result(second, DELIVERED, "delivered"), payload=SENT)], T0 + 6)
    [kept] = await store.delivery_payloads("evt-2")
    assert (kept.payload, kept.recorded_at) == (SENT, T0 + 6)

    # A result that carries no exchange (a resent orphaned claim, say) leaves the kept one alone.
    await enqueue(store, entry("evt-3"))
    [third] = await store.claim_outbox("meta", 10, LEASE, T0 + 7)
    await store.complete([replace(result(third, RETRYING, "retry", T0 + 9), payload=SENT)], T0 + 8)
    [again] = await store.claim_outbox("meta", 10, LEASE, T0 + 9)
    await store.complete([result(again, DELIVERED, "delivered")], T0 + 10)
    assert [item.payload for item in await store.delivery_payloads("evt-3")] == [SENT]


async def test_no_payload_is_kept_for_an_entry_another_worker_already_completed(store: Store) -> None:
    await enqueue(store, entry("evt-4"))
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)
    await store.complete([result(claimed, DELIVERED, "delivered")], T0 + 1)
    await store.complete([replace(result(claimed, DELIVERED, "delivered"), payload=SENT)], T0 + 2)
    assert await store.delivery_payloads("evt-4") == []


async def test_a_bounded_body_survives_the_round_trip_byte_for_byte(store: Store) -> None:
    long_body = '{"data":[{"note":"' + "é€😀" * 10_000 + '"}]}'
    kept = DeliveryPayload(bounded(long_body), bounded("x" * 40_000), response_status=200)
    assert (
        len(kept.request_body.encode()) <= MAX_KEPT_BYTES
        and len(kept.response_body.encode()) <= MAX_KEPT_BYTES
    )
    await enqueue(store, entry("evt-5"))
    [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)
    await store.complete([replace(result(claimed, DELIVERED, "delivered"), payload=kept)], T0 + 1)
    assert [item.payload for item in await store.delivery_payloads("evt-5")] == [kept]


async def test_sqlite_forgets_a_payload_with_its_status_and_keeps_a_rejected_ones(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "signalmesh.db")
    try:
        await enqueue(store, entry("old-delivered"), entry("old-rejected"))
        delivered, rejected = await store.claim_outbox("meta", 10, LEASE, T0)
        await store.complete(
            [
                replace(result(delivered, DELIVERED, "ok"), payload=SENT),
                replace(result(rejected, REJECTED, "no"), payload=SENT),
            ],
            T0 + 1,
        )
        assert await store.prune_statuses(updated_before=T0 + 100) == 1
        assert await store.event_status("old-delivered") == []
        assert await store.delivery_payloads("old-delivered") == []
        # A refused event stays for the operator to inspect, and so does what it sent.
        assert [item.payload for item in await store.delivery_payloads("old-rejected")] == [SENT]
    finally:
        await store.close()


async def test_redis_payload_keys_expire_with_their_status(redis_url: str, redis_namespace: str) -> None:
    store = RedisStore(redis_url, namespace=redis_namespace, status_ttl_seconds=3600)
    client = redis.Redis.from_url(redis_url)
    try:
        skipped = status("ttl-skip", decision=policy_pb2.DECISION_SKIP, state=SKIPPED)
        await store.accept([entry("ttl-2")], [status("ttl-2"), skipped], T0)
        [claimed] = await store.claim_outbox("meta", 10, LEASE, T0)
        await store.complete([replace(result(claimed, DELIVERED, "ok"), payload=SENT)], T0 + 1)
        ttl = client.ttl(f"{redis_namespace}:payloads:ttl-2")
        assert 0 < ttl <= 3600
        assert not client.exists(f"{redis_namespace}:payloads:ttl-skip"), "nothing was sent: nothing kept"
    finally:
        client.close()
        await store.close()
