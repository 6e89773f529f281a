"""Fixtures shared by every test layer live in tests/support and are registered here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.redis_server import delete_namespace, redis_for_tests


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: the machine's when it answers, else one started for this session."""
    with redis_for_tests(os.environ, tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A key namespace of this test's own, deleted afterwards (a shared Redis is left as found)."""
    namespace = f"signalmesh-test-{uuid.uuid4().hex[:12]}"
    yield namespace
    delete_namespace(redis_url, namespace)
