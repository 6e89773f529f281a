"""Debian's Chromium, headless, driven over the DevTools protocol with aiohttp's websocket.

A page is opened the way a reader opens it (a file:// URL), so the test sees what the browser
drew — layout boxes of SVG marks, console errors, uncaught exceptions — and can save a
full-page screenshot. No browser download, no driver: `make test` installs the `chromium`
package where it is missing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.waiting import wait_until

# As the machine notes say: no sandbox as root, and nothing that phones home on a closed network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0
# A laptop's window: pages are laid out at this width unless a test resizes.
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1200, 900


def chromium_executable() -> str:
    """The browser, or a failure that says how to get it (a missing browser is not a skip)."""
    path = shutil.which("chromium")
    if path is None:
        raise AssertionError(
            "Debian's chromium is not installed: `make test` installs it, or run "
            "`apt-get install -y chromium` (with sudo when not root)."
        )
    return path


@dataclass
class Page:
    """One tab over a DevTools websocket: calls by id, events kept for the test to read."""

    socket: aiohttp.ClientWebSocketResponse
    events: list[dict[str, Any]] = field(default_factory=list)
    _pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = field(default_factory=list)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = answer
        await self.socket.send_str(json.dumps({"id": call_id, "method": method, "params": params}))
        reply = await asyncio.wait_for(answer, CALL_TIMEOUT)
        if "error" in reply:
            raise AssertionError(f"{method} failed: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def next_event(self, method: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the next event of ``method`` (register before causing it)."""
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, waiter))
        return waiter

    async def open(self, url: str) -> None:
        """Navigate and return once the page's load event fired."""
        loaded = self.next_event("Page.loadEventFired")
        await self.call("Page.navigate", url=url)
        await asyncio.wait_for(loaded, CALL_TIMEOUT)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, failed assertions, uncaught exceptions and error log entries so far."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"uncaught: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                found.append(
                    f"console.{params['type']}: {[arg.get('value') for arg in params.get('args', [])]}"
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    async def resize(self, width: int, height: int) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def screenshot(self, path: Path) -> None:
        """The whole page, not just the first screenful, at the current width."""
        metrics = await self.call("Page.getLayoutMetrics")
        size = metrics["cssContentSize"]
        await self.resize(int(size["width"]), int(size["height"]))
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    async def pump(self) -> None:
        """Route replies to their calls and keep events, until the socket closes."""
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if "id" in payload:
                answer = self._pending.pop(payload["id"], None)
                if answer is not None and not answer.done():
                    answer.set_result(payload)
                continue
            self.events.append(payload)
            for waiter in [waiter for waiter in self._waiters if waiter[0] == payload.get("method")]:
                self._waiters.remove(waiter)
                if not waiter[1].done():
                    waiter[1].set_result(payload)


@contextlib.asynccontextmanager
async def headless_page(profile_dir: Path) -> AsyncIterator[Page]:
    """A fresh Chromium with its own empty profile and one blank tab, stopped afterwards."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    log_path = profile_dir.parent / f"{profile_dir.name}-chromium.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            chromium_executable(),
            *FLAGS,
            f"--user-data-dir={profile_dir}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group, ended as a whole
        )
    try:
        port_file = profile_dir / "DevToolsActivePort"

        async def port_written() -> str:
            if process.returncode is not None:
                raise AssertionError(
                    f"chromium exited with {process.returncode}: {log_path.read_text()[-2000:]}"
                )
            text = port_file.read_text() if port_file.exists() else ""
            return text if "\n" in text else ""

        port = (await wait_until(port_written, START_TIMEOUT, "chromium's DevTools port")).split()[0]
        async with aiohttp.ClientSession() as session:

            async def blank_tab() -> str:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
                pages = [target for target in targets if target.get("type") == "page"]
                return str(pages[0]["webSocketDebuggerUrl"]) if pages else ""

            socket_url = await wait_until(blank_tab, START_TIMEOUT, "chromium's first tab")
            async with session.ws_connect(socket_url, max_msg_size=0) as socket:
                page = Page(socket)
                reader = asyncio.create_task(page.pump())
                try:
                    for domain in ("Page", "Runtime", "Log"):
                        await page.call(f"{domain}.enable")
                    await page.resize(VIEWPORT_WIDTH, VIEWPORT_HEIGHT)
                    yield page
                finally:
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
    finally:
        await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """End Chromium and every helper process it started (its own process group), so none keeps
    writing into the profile after the test."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)

    async def group_gone() -> bool:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        return False

    try:
        await asyncio.wait_for(process.wait(), 10)
        await wait_until(group_gone, 10, "chromium's helper processes to exit")
    except (TimeoutError, AssertionError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        await process.wait()
