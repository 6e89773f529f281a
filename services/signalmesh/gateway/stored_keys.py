"""The API keys kept in the store, as the auth interceptor sees them: re-read at most once a
second, so `signalmesh keys new|revoke` takes effect within a second without a restart, and
a burst of calls costs one store read. Expiry is checked on every call (against the clock),
never cached; a revocation is seen at the next re-read.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from signalmesh.config import ApiClient
from signalmesh.store.api_key_records import ApiKeyRecord
from signalmesh.store.base import Store

REFRESH_SECONDS = 1.0
_log = structlog.get_logger("signalmesh.auth")


def to_client(record: ApiKeyRecord) -> ApiClient:
    return ApiClient(
        name=record.client,
        key_sha256=record.key_sha256,
        scopes=record.scopes,
        destinations=record.destinations,
        expires_at=record.expires_at,
    )


class StoredKeys:
    def __init__(
        self,
        store: Store,
        refresh_seconds: float = REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._clients: tuple[ApiClient, ...] = ()
        self._read_at: float | None = None

    async def clients(self) -> tuple[ApiClient, ...]:
        """The store's keys not revoked (expired ones too: the interceptor checks expiry)."""
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= self._refresh_seconds:
            self._read_at = now
            try:
                records = await self._store.api_keys()
            except Exception as error:  # the store is down: keep the last keys read, and say so
                _log.warning("stored API keys not re-read", error=str(error))
            else:
                self._clients = tuple(to_client(record) for record in records if record.revoked_at is None)
        return self._clients
