"""Waiting on a condition with a deadline: how tests synchronise with servers and processes
(never a fixed sleep, which is either too short on a slow machine or wasted on a fast one)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

Value = TypeVar("Value")
POLL_SECONDS = 0.02


async def wait_until(condition: Callable[[], Awaitable[Value]], timeout: float, message: str) -> Value:
    """Poll an async ``condition`` until it returns a truthy value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        await asyncio.sleep(POLL_SECONDS)
