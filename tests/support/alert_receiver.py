"""A real HTTP receiver of signed alert notifications on a loopback port, verifying each body's
HMAC-SHA256 the way plugins/webhook/README.md tells receivers to (over the raw bytes, before
parsing). Tests of the webhook sink and the system test of alerts share it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

SIGNATURE_HEADER = "X-SignalMesh-Signature"


@dataclass
class AlertReceiver:
    secret: str
    # Answer 503 to this many verified requests first (a receiver that is briefly down).
    fail_next: int = 0
    verified: list[dict] = field(default_factory=list)
    refused_signatures: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, "")):
            self.refused_signatures += 1
            return web.Response(status=401)
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=503)
        self.verified.append(json.loads(raw))
        return web.Response(status=204)

    def states_of(self, rule: str) -> list[tuple[str, str]]:
        """(rule, state) of every verified notification of ``rule``, in arrival order."""
        return [(item["rule"], item["state"]) for item in self.verified if item["rule"] == rule]


@asynccontextmanager
async def alert_receiver(secret: str, path: str = "/alerts") -> AsyncIterator[tuple[AlertReceiver, str]]:
    """The receiver's state and the URL to configure as ``[alerts] webhook_url``."""
    state = AlertReceiver(secret)
    app = web.Application()
    app.router.add_post(path, state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield state, f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
    finally:
        await runner.cleanup()
