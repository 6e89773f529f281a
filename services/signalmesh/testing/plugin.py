"""The pytest plugin (entry point ``pytest11: signalmesh_testing``): sandbox fixtures for connector tests.

Installing ``signalmesh`` registers it, so a connector package's tests can ask for a running
platform sandbox without a conftest of their own:

- ``sandbox``: a ``SandboxServer`` started on a free loopback port for the test, closed after;
- ``sandbox_url``: its base URL (``http://127.0.0.1:<port>``), for ``destination(...)``;
- ``sandbox_control``: a ``SandboxControl`` client of that sandbox (recorded events, faults);
- ``make_event``: ``make_event(event_id="evt-1", **fields)`` builds a website Purchase at a fixed
  time (``signalmesh.testing.events``); a conftest overrides it for other defaults.

A conftest fixture of the same name overrides these, as pytest always lets a closer one win.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl
from signalmesh.testing.events import MakeEvent, event_factory

try:
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - the fixtures then need pytest-asyncio installed to run
    _async_fixture = pytest.fixture


@_async_fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    """A fresh platform sandbox (every platform, default token) on 127.0.0.1, port chosen by the OS."""
    server = await start_sandbox(port=0)
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def sandbox_url(sandbox: SandboxServer) -> str:
    return sandbox.url


@_async_fixture
async def sandbox_control(sandbox: SandboxServer) -> AsyncIterator[SandboxControl]:
    """The control API client of ``sandbox``: ``await sandbox_control.events("webhook", "crm")``."""
    async with SandboxControl(sandbox.url) as control:
        yield control


@pytest.fixture
def make_event() -> MakeEvent:
    """Build a website Purchase; keyword arguments override or add top-level fields."""
    return event_factory()
