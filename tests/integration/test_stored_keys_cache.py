"""The gateway's view of stored API keys: one store read per second at most, on a real SQLite file."""

from __future__ import annotations

from signalmesh.gateway.stored_keys import StoredKeys
from signalmesh.store import SqliteStore
from signalmesh.store.api_key_records import ApiKeyRecord


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_keys_are_re_read_once_the_refresh_interval_passed(tmp_path):
    store = SqliteStore(tmp_path / "signalmesh.db")
    clock = Clock()
    keys = StoredKeys(store, refresh_seconds=1.0, monotonic=clock)
    try:
        assert await keys.clients() == ()
        await store.add_api_key(
            ApiKeyRecord("a" * 12, "a" * 64, "shop", ("events:write",), ("meta",), 1.0, 9e9)
        )
        assert await keys.clients() == ()  # read less than a second ago: not yet
        clock.now += 1.0
        [client] = await keys.clients()
        assert (client.name, client.scopes, client.destinations, client.expires_at) == (
            "shop",
            ("events:write",),
            ("meta",),
            9e9,
        )
        await store.revoke_api_key("a" * 12, 2.0)
        clock.now += 1.0
        assert await keys.clients() == ()  # a revoked key is gone at the next read
    finally:
        await store.close()
