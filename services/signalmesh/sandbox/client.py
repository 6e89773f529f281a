"""A small async client for the sandbox's ``/_sandbox/`` control API (tests, demo, benchmarks)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp


class SandboxControlError(RuntimeError):
    """The control API refused a call; the message is the sandbox's own explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox control API answered {status}: {message}")
        self.status = status


@dataclass(frozen=True, slots=True)
class RecordedEvents:
    """Events a platform accepted for one destination, as received, and the duplicates dropped."""

    events: list[dict[str, Any]]
    duplicates: int


class SandboxControl:
    """``async with SandboxControl(server.url) as control: await control.inject(...)``."""

    def __init__(self, base_url: str, *, timeout_seconds: float = 10.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def health(self) -> bool:
        try:
            await self._call("GET", "/_sandbox/health")
        except (aiohttp.ClientError, SandboxControlError, TimeoutError):
            return False
        return True

    async def events(self, platform: str, destination: str, test: bool = False) -> RecordedEvents:
        query = {"platform": platform, "destination": destination, "test": "1" if test else "0"}
        answer = await self._call("GET", "/_sandbox/events", params=query)
        return RecordedEvents(events=answer["events"], duplicates=answer["duplicates"])

    async def stats(self) -> dict[str, dict[str, Any]]:
        return await self._call("GET", "/_sandbox/stats")

    async def inject(self, **fault: Any) -> dict[str, Any]:
        """Add a fault, e.g. ``inject(platform="meta", status=429, retry_after=2, rate=0.1)``."""
        answer = await self._call("POST", "/_sandbox/faults", json=fault)
        return answer["fault"]

    async def faults(self) -> list[dict[str, Any]]:
        return (await self._call("GET", "/_sandbox/faults"))["faults"]

    async def clear_faults(self, platform: str | None = None) -> int:
        params = {"platform": platform} if platform else None
        return (await self._call("DELETE", "/_sandbox/faults", params=params))["cleared"]

    async def change_tokens(
        self, *, revoke: list[str] | None = None, accept: list[str] | None = None
    ) -> None:
        """Revoke tokens and accept new ones on every platform (a token rotation)."""
        await self._call("POST", "/_sandbox/tokens", json={"revoke": revoke or [], "accept": accept or []})

    async def reset(self) -> None:
        await self._call("POST", "/_sandbox/reset")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> SandboxControl:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        async with self._session.request(method, self._base_url + path, **kwargs) as response:
            text = await response.text()
        try:
            answer = json.loads(text)
        except ValueError:
            answer = text
        if response.status >= 400:
            message = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise SandboxControlError(response.status, str(message))
        return answer
