"""Fixtures for the store contract suite: a real SQLite file and a real Redis server.

Redis is the one on 127.0.0.1:6379 when it answers PING, otherwise a ``redis-server`` this
session starts on a free port and stops at the end (``SIGNALMESH_TEST_OWN_REDIS=1`` forces
that path). Every test gets its own key namespace, deleted afterwards, so a shared Redis is
left as it was found.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from signalmesh.store import RedisStore, SqliteStore, Store

OWN_REDIS_ENV = "SIGNALMESH_TEST_OWN_REDIS"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def answers_ping(url: str, timeout_seconds: float = 0.5) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def own_redis_server(directory: Path, tries: int = 5, deadline_seconds: float = 10.0) -> Iterator[str]:
    """Run ``redis-server`` on a port the OS picked; yield its URL; stop it on exit.

    The port is free when picked but may be taken before Redis binds it, so a server that
    exits instead of answering is retried on another port.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("no Redis answers on 127.0.0.1:6379 and redis-server is not installed")
    for attempt in range(tries):
        port = _port_the_os_picks()
        log = directory / f"redis-{attempt}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    executable,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(directory),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"redis://127.0.0.1:{port}/0"
        if _wait_until_answering(url, process, deadline_seconds):
            try:
                yield url
            finally:
                process.terminate()
                process.wait(timeout=deadline_seconds)
            return
        process.kill()
        process.wait()
    raise RuntimeError(f"redis-server did not start after {tries} tries; last log:\n{log.read_text()}")


def _port_the_os_picks() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], deadline_seconds: float) -> bool:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # exited: most likely the port was taken meanwhile
        if answers_ping(url, timeout_seconds=0.2):
            return True
        time.sleep(0.02)
    return False


@contextmanager
def redis_for_tests(environ: Mapping[str, str], directory: Path) -> Iterator[str]:
    """The Redis on 127.0.0.1:6379 when it answers and ``environ`` allows it, else a private one."""
    if environ.get(OWN_REDIS_ENV) != "1" and answers_ping(DEFAULT_REDIS_URL):
        yield DEFAULT_REDIS_URL
        return
    with own_redis_server(directory) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_for_tests(os.environ, tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_for(tmp_path: Path) -> Callable[[Mapping[str, str]], AbstractContextManager[str]]:
    """``redis_for(environ)``: the choice ``redis_url`` makes, for a given environment (to test it)."""
    return lambda environ: redis_for_tests(environ, tmp_path)


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    namespace = f"signalmesh-test-{uuid.uuid4().hex[:12]}"
    yield namespace
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


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
