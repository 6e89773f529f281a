"""API keys kept in the store, on both backends (real SQLite file, real Redis)."""

from __future__ import annotations

from signalmesh.store.api_key_records import ApiKeyRecord, key_id_of


def _record(digest: str, **fields) -> ApiKeyRecord:
    values = {
        "key_id": key_id_of(digest),
        "key_sha256": digest,
        "client": "checkout",
        "scopes": ("events:write",),
        "destinations": ("meta_eu",),
        "created_at": 1000.0,
        "expires_at": None,
    }
    return ApiKeyRecord(**{**values, **fields})


async def test_added_keys_are_listed_with_every_field(backend):
    store = backend.open()
    first = _record("a" * 64, expires_at=5000.0)
    second = _record("b" * 64, client="dashboard", destinations=None)
    await store.add_api_key(first)
    await store.add_api_key(second)
    assert await backend.open().api_keys() == [first, second]  # another process sees them


async def test_a_revoked_key_keeps_its_record_marked_revoked(store):
    await store.add_api_key(_record("c" * 64))
    assert await store.revoke_api_key(key_id_of("c" * 64), 2000.0) is True
    assert await store.revoke_api_key(key_id_of("c" * 64), 3000.0) is True  # already revoked: unchanged
    [record] = await store.api_keys()
    assert record.revoked_at == 2000.0 and not record.valid_at(2500.0)
    assert await store.revoke_api_key("nosuchkey", 2000.0) is False


def test_validity_follows_expiry():
    record = _record("d" * 64, expires_at=5000.0)
    assert record.valid_at(4999.0) and not record.valid_at(5000.0)
