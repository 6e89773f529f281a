"""A generic JSON sink: ``POST /webhook/{name}`` records what any connector sends.

For connectors of platforms the sandbox does not emulate (a team's own CRM, a data warehouse,
a third-party plugin under test). It checks only that the body is JSON; events found in a
top-level ``events`` or ``data`` array are recorded one by one (deduplicated on ``event_id`` or
``id`` for 48 h), any other body is recorded whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from signalmesh.sandbox.recorder import Recorder

PLATFORM = "webhook"
DEDUP_WINDOW_SECONDS = 48 * 3600


def events_of(body: Any) -> list[Any]:
    for key in ("events", "data"):
        if isinstance(body, dict) and isinstance(body.get(key), list):
            return list(body[key])
    return [body]


def event_key(event: Any) -> str | None:
    if isinstance(event, dict):
        for key in ("event_id", "id"):
            if isinstance(event.get(key), str):
                return event[key]
    return None


def routes(tokens: frozenset[str], clock: Callable[[], float], recorder: Recorder) -> list[web.RouteDef]:
    async def receive(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return web.json_response({"error": f"body is not JSON: {error}"}, status=400)
        events = events_of(body)
        recorder.accept(
            PLATFORM,
            request.match_info["name"],
            [(event_key(event), event) for event in events],
            test=False,
            window_seconds=DEDUP_WINDOW_SECONDS,
        )
        return web.json_response({"received": len(events)})

    return [web.post("/webhook/{name}", receive)]


def fault_response(status: int) -> web.Response:
    return web.json_response({"error": f"injected fault {status}"}, status=status)
