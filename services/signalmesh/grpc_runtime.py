"""The grpc.aio runtime every service shares: bind, health, reflection, graceful stop, event loop.

Each service's ``server.py`` only says which servicers to add and which interceptors to use;
this module gives them all the same standard services (``grpc.health.v1`` for Kubernetes
probes, reflection for grpcurl) and the same shutdown: health flips to NOT_SERVING first, so
load balancers stop sending new calls, then in-flight calls get ``grace`` seconds to finish.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.trace import TracerProvider

from signalmesh.config import ApiClient, ServerTls
from signalmesh.interceptors import AuthInterceptor, DecodeGuardInterceptor, LoggingInterceptor
from signalmesh.reflection import enable_reflection
from signalmesh.telemetry.tracing import server_interceptors

T = TypeVar("T")

# A second server on a port already in use must fail, not silently share its traffic.
_SERVER_OPTIONS = (("grpc.so_reuseport", 0),)


def connection_options(
    *,
    max_streams_per_connection: int = 0,
    keepalive_time_seconds: float = 60.0,
    keepalive_timeout_seconds: float = 20.0,
    min_client_ping_interval_seconds: float = 10.0,
) -> tuple[tuple[str, int], ...]:
    """HTTP/2 limits every connection gets: with ``max_streams_per_connection`` (0: gRPC's own,
    unbounded) no connection holds more than that many streams at once; the server pings
    a quiet connection every ``keepalive_time`` and drops it when no answer comes within
    ``keepalive_timeout`` (a vanished client frees its streams); a client pinging more often
    than ``min_client_ping_interval`` is disconnected (GOAWAY too_many_pings) after two strikes,
    so pings cannot be a flood. Keepalive pings are allowed on connections with no call
    (a client keeping an idle channel warm is not punished)."""
    # Off by default: with it set, grpcio 1.85's server refuses some streams under load
    # (RST_STREAM REFUSED_STREAM → UNAVAILABLE at the client) even far below the limit, seen in
    # `make bench` at 8 streams per connection against a limit of 100. Per-client stream limits
    # ([gateway] client_max_concurrent_streams) are the fairness control; this is a ceiling.
    ceiling = max_streams_per_connection
    streams = (("grpc.max_concurrent_streams", ceiling),) if ceiling else ()
    return (
        *streams,
        ("grpc.keepalive_time_ms", int(keepalive_time_seconds * 1000)),
        ("grpc.keepalive_timeout_ms", int(keepalive_timeout_seconds * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", int(min_client_ping_interval_seconds * 1000)),
        ("grpc.http2.max_ping_strikes", 2),
        # The server's own pings continue on a quiet stream (0: no cap), or dead peers stay.
        ("grpc.http2.max_pings_without_data", 0),
    )


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
    more_clients: Callable[[], Awaitable[Sequence[ApiClient]]] | None = None,
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
        auth = AuthInterceptor(clients, method_scopes, more_clients=more_clients)
        if how_to_authenticate is not None:
            auth = AuthInterceptor(clients, method_scopes, how_to_authenticate, more_clients=more_clients)
        interceptors.append(auth)
    else:
        interceptors.append(DecodeGuardInterceptor())
    return interceptors


async def start_server(
    *,
    listen: str,
    add_services: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    options: Sequence[tuple[str, int]] | None = None,
    tls: ServerTls | None = None,
    reuse_port: bool = False,
) -> RunningServer:
    """Create, populate and start a grpc.aio server on ``listen`` ("127.0.0.1:0" picks a port).

    ``add_services`` adds the service's servicers; ``service_names`` are their full names
    (``signalmesh.v1.Gateway``), reported SERVING by health and listed by reflection.
    Interceptors run in the order given, the first outermost. ``options`` are the connection
    limits (:func:`connection_options`; its defaults when None). With ``tls`` the port speaks
    only TLS (and, with its client CA, only to callers holding a certificate it signed).
    ``reuse_port`` lets sibling processes bind the same port (SO_REUSEPORT; the kernel spreads
    connections over them).
    """
    # Read first: a missing certificate is a configuration error before anything is created.
    credentials = _server_credentials(tls)
    base: Sequence[tuple[str, int]] = _SERVER_OPTIONS
    if reuse_port:  # only the gateway's own workers, on a port their supervisor checked free
        base = (
            *(option for option in base if option[0] != "grpc.so_reuseport"),
            ("grpc.so_reuseport", 1),
        )
    limits = tuple(options) if options is not None else connection_options()
    server = grpc.aio.server(interceptors=list(interceptors) or None, options=(*base, *limits))
    add_services(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    enable_reflection((*service_names, health.SERVICE_NAME), server)
    try:
        port = _add_port(server, listen, credentials)
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


def _server_credentials(tls: ServerTls | None) -> grpc.ServerCredentials | None:
    from signalmesh.tls import server_credentials

    return server_credentials(tls) if tls is not None else None


def _add_port(server: grpc.aio.Server, listen: str, credentials: grpc.ServerCredentials | None) -> int:
    if credentials is None:
        return server.add_insecure_port(listen)
    return server.add_secure_port(listen, credentials)


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
