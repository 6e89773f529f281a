"""A real Redis for tests: the machine's on 127.0.0.1:6379 when it answers, otherwise a
``redis-server`` started on a free port (``SIGNALMESH_TEST_OWN_REDIS=1`` forces that path).
Every test gets its own key namespace, deleted afterwards, so a shared Redis is left as found."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

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
        # A failure, not a skip: without Redis half of the store suite would silently not run.
        pytest.fail(
            "no Redis answers on 127.0.0.1:6379 and redis-server is not installed: "
            "install it (Debian: apt-get install redis-server) so the Redis backend is tested"
        )
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


def delete_namespace(url: str, namespace: str) -> None:
    """Remove every key under ``namespace:`` (what a test or a run left behind)."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
