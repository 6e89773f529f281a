"""Fixtures for the store contract suite: a real SQLite file and a real Redis server (the
``redis_url`` and ``redis_namespace`` fixtures of tests/conftest.py, see tests/support/redis_server.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from signalmesh.store import RedisStore, SqliteStore, Store

from tests.support.redis_server import redis_for_tests


@pytest.fixture
def redis_for(tmp_path: Path) -> Callable[[Mapping[str, str]], AbstractContextManager[str]]:
    """``redis_for(environ)``: the choice ``redis_url`` makes, for a given environment (to test it)."""
    return lambda environ: redis_for_tests(environ, tmp_path)


@dataclass
class Backend:
    """Opens stores of one backend on one shared state (a file, or a Redis namespace)."""

    kind: str
    location: str  # the SQLite path or the Redis URL
    namespace: str = ""
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        store: Store
        if self.kind == "sqlite":
            store = SqliteStore(Path(self.location))
        else:
            store = RedisStore(self.location, namespace=self.namespace, consumer=f"test-{len(self.opened)}")
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        # A directory that does not exist yet: the store creates it.
        opened = Backend("sqlite", str(tmp_path / "state" / "signalmesh.db"))
    else:
        opened = Backend(
            "redis", request.getfixturevalue("redis_url"), request.getfixturevalue("redis_namespace")
        )
    yield opened
    for store in opened.opened:
        await store.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
