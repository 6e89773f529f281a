"""The sandbox server: platform endpoints (one module per platform) behind fault injection and
counting, plus the ``/_sandbox/`` control API that tests, the demo and benchmarks use."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from signalmesh.config import SANDBOX_TOKEN
from signalmesh.sandbox.emulators import PlatformEmulator, installed_emulators
from signalmesh.sandbox.faults import FaultInjector, parse_fault
from signalmesh.sandbox.recorder import Recorder

Clock = Callable[[], float]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# 1,000 Meta events with full user_data are a few MB; aiohttp's default cap is 1 MB.
MAX_BODY_BYTES = 32 * 1024 * 1024
# In-flight requests (e.g. delayed by a latency fault) get this long to finish on shutdown.
SHUTDOWN_TIMEOUT_SECONDS = 2.0

log = structlog.get_logger("signalmesh.sandbox")


RECORDER = web.AppKey("recorder", Recorder)
FAULTS = web.AppKey("faults", FaultInjector)
TOKENS = web.AppKey("tokens", set)
EMULATORS = web.AppKey("emulators", tuple)


def build_app(
    tokens: Sequence[str],
    clock: Clock = time.time,
    rng: random.Random | None = None,
    emulators: Sequence[PlatformEmulator] | None = None,
) -> web.Application:
    """The sandbox as an aiohttp application; ``clock`` and ``rng`` are injectable for tests, and
    ``emulators`` (by default every installed one, see ``emulators.py``) says which platforms."""
    platforms = tuple(installed_emulators() if emulators is None else emulators)
    recorder = Recorder(clock, [platform.PLATFORM for platform in platforms])
    faults = FaultInjector(rng or random.Random())
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[RECORDER] = recorder
    app[FAULTS] = faults
    app[EMULATORS] = platforms
    # One live set shared by every platform, so a test can revoke a token (a platform-side
    # revocation) and accept its replacement while the sandbox runs.
    accepted_tokens = set(tokens)
    app[TOKENS] = accepted_tokens
    for platform in platforms:
        for route in platform.routes(accepted_tokens, clock, recorder):  # type: ignore[arg-type]
            handler: Handler = route.handler  # type: ignore[assignment]
            app.router.add_route(route.method, route.path, _guarded(platform, handler, recorder, faults))
    app.router.add_get("/_sandbox/health", _health)
    app.router.add_get("/_sandbox/events", _events)
    app.router.add_get("/_sandbox/stats", _stats)
    app.router.add_get("/_sandbox/faults", _list_faults)
    app.router.add_post("/_sandbox/faults", _add_fault)
    app.router.add_delete("/_sandbox/faults", _clear_faults)
    app.router.add_post("/_sandbox/reset", _reset)
    app.router.add_post("/_sandbox/tokens", _change_tokens)
    return app


def _guarded(
    platform: PlatformEmulator, handler: Handler, recorder: Recorder, faults: FaultInjector
) -> Handler:
    """Count the request, apply any injected fault, else let the platform answer."""
    name = platform.PLATFORM

    async def guarded(request: web.Request) -> web.StreamResponse:
        recorder.count_request(name)
        decision = faults.draw(name, request.path)
        if decision is not None:
            recorder.count_fault(name)
            if decision.latency_ms:
                await asyncio.sleep(decision.latency_ms / 1000)
            if decision.reset:
                recorder.count_response(name, "reset")
                return _reset_connection(request)
            if decision.status is not None:
                fault = platform.fault_response(decision.status)
                if decision.retry_after is not None:
                    fault.headers["Retry-After"] = str(decision.retry_after)
                recorder.count_response(name, str(fault.status))
                return fault
        response = await handler(request)
        recorder.count_response(name, str(response.status), rejected=400 <= response.status < 500)
        return response

    return guarded


def _reset_connection(request: web.Request) -> web.Response:
    """Drop the connection with a TCP RST and no answer, as a crashed upstream would."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER 0: close() sends RST instead of FIN, so the client sees "connection reset".
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=499)  # never written: the transport is gone


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "platforms": _platform_names(request.app)})


async def _events(request: web.Request) -> web.Response:
    platform = request.query.get("platform", "")
    destination = request.query.get("destination", "")
    names = _platform_names(request.app)
    if platform not in names or not destination:
        return _control_error(f"give platform (one of {names}) and destination")
    test = request.query.get("test", "0").lower() in ("1", "true", "yes")
    recorder = request.app[RECORDER]
    return web.json_response(
        {
            "events": recorder.events(platform, destination, test),
            "duplicates": recorder.duplicates(platform, destination, test),
        }
    )


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[RECORDER].stats())


async def _list_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": [rule.as_dict() for rule in request.app[FAULTS].rules()]})


async def _add_fault(request: web.Request) -> web.Response:
    try:
        payload: Any = await request.json()
    except json.JSONDecodeError:
        return _control_error("the body must be JSON")
    rule = parse_fault(payload, _platform_names(request.app))
    if isinstance(rule, str):
        return _control_error(rule)
    request.app[FAULTS].add(rule)
    log.info("sandbox_fault_injected", **rule.as_dict())
    return web.json_response({"fault": rule.as_dict()}, status=201)


async def _clear_faults(request: web.Request) -> web.Response:
    cleared = request.app[FAULTS].clear(request.query.get("platform"))
    return web.json_response({"cleared": cleared})


async def _reset(request: web.Request) -> web.Response:
    request.app[RECORDER].reset()
    request.app[FAULTS].clear()
    return web.json_response({"reset": True})


async def _change_tokens(request: web.Request) -> web.Response:
    """``{"revoke": ["old"], "accept": ["new"]}``: what every platform accepts from now on."""
    try:
        payload: Any = await request.json()
    except json.JSONDecodeError:
        return _control_error("the body must be JSON")
    if not isinstance(payload, dict) or set(payload) - {"revoke", "accept"}:
        return _control_error('send {"revoke": [tokens], "accept": [tokens]}')
    tokens = request.app[TOKENS]
    for token in payload.get("revoke", []):
        tokens.discard(token)
    tokens.update(payload.get("accept", []))
    log.info(
        "sandbox_tokens_changed",
        revoked=len(payload.get("revoke", [])),
        accepted=len(payload.get("accept", [])),
    )
    return web.json_response({"tokens": len(tokens)})


def _platform_names(app: web.Application) -> list[str]:
    return [platform.PLATFORM for platform in app[EMULATORS]]


def _control_error(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


@dataclass(slots=True)
class SandboxServer:
    """A running sandbox. ``state`` is the recorder, ``faults`` the injector, both live."""

    runner: web.AppRunner
    host: str
    port: int
    state: Recorder
    faults: FaultInjector

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        await self.runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    tokens: Sequence[str] = (SANDBOX_TOKEN,),
    *,
    clock: Clock = time.time,
    rng: random.Random | None = None,
    emulators: Sequence[PlatformEmulator] | None = None,
) -> SandboxServer:
    """Start the sandbox; port 0 picks a free port (read it from ``.port`` / ``.url``)."""
    app = build_app(tokens, clock, rng, emulators)
    # No access log: Graph clients may put access_token in the query string.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return SandboxServer(runner, host, bound_port, app[RECORDER], app[FAULTS])


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:7480`` for IPv6) → (host, port); ValueError says what is wrong."""
    host, separator, port = listen.rpartition(":")
    if not separator or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address {listen!r} must be host:port, e.g. 127.0.0.1:7480")
    return host.strip("[]") or "127.0.0.1", int(port)


def run_sandbox(listen: str, tokens: Sequence[str]) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight requests and stop (``signalmesh sandbox``)."""
    host, port = parse_listen(listen)
    asyncio.run(_serve_until_stopped(host, port, tokens))


async def _serve_until_stopped(host: str, port: int, tokens: Sequence[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    server = await start_sandbox(host, port, tokens)
    log.info("sandbox_listening", url=server.url, platforms=_platform_names(server.runner.app))
    try:
        await stop.wait()
    finally:
        await server.close()
        log.info("sandbox_stopped")
