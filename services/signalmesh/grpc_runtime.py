"""The grpc.aio runtime every service shares: bind, health, reflection, graceful stop, event loop.

Each service's ``server.py`` only says which servicers to add and which interceptors to use;
this module gives them all the same standard services (``grpc.health.v1`` for Kubernetes
probes, reflection for grpcurl) and the same shutdown: health flips to NOT_SERVING first, so
load balancers stop sending new calls, then in-flight calls get ``grace`` seconds to finish.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.trace import TracerProvider

from signalmesh.config import ApiClient
from signalmesh.interceptors import AuthInterceptor, LoggingInterceptor
from signalmesh.telemetry.tracing import server_interceptors

T = TypeVar("T")

# A second server on a port already in use must fail, not silently share its traffic.
_SERVER_OPTIONS = (("grpc.so_reuseport", 0),)


@dataclass(slots=True)
class RunningServer:
    """A started server. ``address`` is what a client on this machine dials."""

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    host: str
    service_names: tuple[str, ...]
    _stopping: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def stop(self, grace: float = 5.0) -> None:
        """NOT_SERVING for every service, then stop accepting calls and give in-flight ones
        ``grace`` seconds. Safe to call more than once; later calls wait for the first."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop(grace))
        await asyncio.shield(self._stopping)

    async def _stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)

    async def wait(self) -> None:
        """Return when the server has stopped (after ``stop()``, e.g. from a signal)."""
        await self.server.wait_for_termination()


def standard_interceptors(
    *,
    tracer_provider: TracerProvider,
    clients: Sequence[ApiClient] | None,
    method_scopes: Mapping[str, str],
    how_to_authenticate: str | None = None,
) -> list[grpc.aio.ServerInterceptor]:
    """Every service's chain, outermost first: the trace span (so every line below carries its
    ids), then the canonical log line (so refused calls are logged), then auth.

    ``clients=None`` leaves auth out (an internal service with no shared secret configured);
    an empty sequence refuses every caller. ``how_to_authenticate`` ends a refusal's message.
    """
    interceptors: list[grpc.aio.ServerInterceptor] = [
        *server_interceptors(tracer_provider),
        LoggingInterceptor(),
    ]
    if clients is not None:
        hint = {} if how_to_authenticate is None else {"how_to_authenticate": how_to_authenticate}
        interceptors.append(AuthInterceptor(clients, method_scopes, **hint))
    return interceptors


async def start_server(
    *,
    listen: str,
    add_services: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    reuse_port: bool = False,
) -> RunningServer:
    """Create, populate and start a grpc.aio server on ``listen`` ("127.0.0.1:0" picks a port).

    ``add_services`` adds the service's servicers; ``service_names`` are their full names
    (``signalmesh.v1.Gateway``), reported SERVING by health and listed by reflection.
    Interceptors run in the order given, the first outermost. ``reuse_port`` lets sibling
    processes bind the same port (SO_REUSEPORT; the kernel spreads connections over them).
    """
    options: Sequence[tuple[str, int]] = _SERVER_OPTIONS
    if reuse_port:  # only the gateway's own workers, on a port their supervisor checked free
        options = (
            *(option for option in options if option[0] != "grpc.so_reuseport"),
            ("grpc.so_reuseport", 1),
        )
    server = grpc.aio.server(interceptors=list(interceptors) or None, options=options)
    add_services(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        (*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    try:
        port = server.add_insecure_port(listen)
    except RuntimeError as error:
        await server.stop(None)
        raise OSError(f"cannot listen on {listen}: {error} (is another process using the port?)") from None
    await server.start()
    return RunningServer(
        server=server,
        health=health_servicer,
        port=port,
        host=_dial_host(listen),
        service_names=tuple(service_names),
    )


def _dial_host(listen: str) -> str:
    host = listen.rsplit(":", 1)[0] if ":" in listen else listen
    # A wildcard bind is reached on loopback from this machine.
    return "127.0.0.1" if host in ("", "0.0.0.0", "[::]", "::") else host


def install_signal_handlers(
    running: RunningServer, loop: asyncio.AbstractEventLoop, grace: float = 5.0
) -> Callable[[], None]:
    """SIGTERM/SIGINT stop ``running`` gracefully; a second signal stops it at once.

    Returns a function that removes the handlers again.
    """
    stops: set[asyncio.Task[None]] = set()
    received = 0

    def on_signal() -> None:
        nonlocal received
        received += 1
        coroutine = running.stop(grace) if received == 1 else running.server.stop(None)
        task = loop.create_task(coroutine)
        stops.add(task)  # keep a reference until it is done
        task.add_done_callback(stops.discard)

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, on_signal)

    def remove() -> None:
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signal_number)

    return remove


def new_event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    """uvloop's policy when it is installed, asyncio's default otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.DefaultEventLoopPolicy()
    return uvloop.EventLoopPolicy()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a service's ``main()`` to completion on uvloop when available (a service's entry point)."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(main)
