"""One service as an OS process: telemetry set up once, serve, announce the bound address, stop
gracefully on SIGTERM or Ctrl-C.

The address goes to a *ready file* once the port is bound, so whoever started the process
(`signalmesh up`, the demo, the system tests) learns a port-0 address without guessing or
racing another process for a port. Used by each service's ``__main__`` and by the CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from signalmesh.config import Config


class ServiceRuntime(Protocol):
    """What a started service gives back (``GatewayRuntime``, ``PolicyRuntime``)."""

    @property
    def address(self) -> str: ...

    async def stop(self, grace: float = ...) -> None: ...


def write_ready_file(path: str | None, address: str) -> None:
    """Write ``address`` to ``path`` atomically (a reader never sees half an address)."""
    if path:
        temporary = Path(path + ".tmp")
        temporary.write_text(address)
        temporary.replace(path)


# Young-generation collections every 5,000 net allocations instead of 700: a busy loop
# allocates a few hundred objects per event, and at the default it collected hundreds of times a
# second. Not more: each unary call leaves a reference cycle that only a collection frees (six
# objects from grpc.aio's own handler lookup, whenever a server has interceptors), so every young
# collection has real garbage to free, and its pause grows with the threshold: measured in the
# gateway under open-loop unary load, 20,000 paused the loop 6-10 ms a time (up to 18 ms of CPU,
# most of a 25 ms p99 budget) against 1.3-1.8 ms (at most 5 ms) at 5,000, for ~7 µs more GC CPU
# per call. The older generations are scanned proportionally less often, and everything alive
# after start-up (modules, descriptors, plugins: most of the heap) is frozen out of every scan, so
# a full collection no longer walks it: those walks were the 57-100 ms pauses at p99.
GC_THRESHOLDS = (5_000, 50, 100)


def settle_heap() -> None:
    """After start-up: collect once, move what survived out of the collector's sight
    (``gc.freeze``), and set :data:`GC_THRESHOLDS`. Frozen objects are still freed by reference
    counting; only the cycle scans skip them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def until_signalled() -> None:
    """Return on the first SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def run_grpc_service(
    name: str,
    start: Callable[[], Awaitable[ServiceRuntime]],
    *,
    ready_file: str | None = None,
    prometheus_listen: str | None = None,
) -> int:
    """Set up logging, tracing and metrics for ``name``, run ``start()``, announce the address,
    serve until signalled, stop gracefully and flush telemetry. Returns the exit code.

    With ``prometheus_listen``, the service's metrics are also served for scraping there."""
    from signalmesh import grpc_runtime
    from signalmesh.telemetry.logging import setup_logging
    from signalmesh.telemetry.metrics import setup_metrics, shutdown_metrics
    from signalmesh.telemetry.tracing import setup_tracing, shutdown_tracing

    setup_logging(name)
    provider = setup_tracing(f"signalmesh-{name}")
    endpoint = None
    if prometheus_listen:
        from signalmesh.telemetry.prometheus import start_prometheus

        endpoint = start_prometheus(prometheus_listen)
        print(f"prometheus metrics on http://{endpoint.address}/metrics", file=sys.stderr)
    meter_provider = setup_metrics(f"signalmesh-{name}", extra_readers=[endpoint.reader] if endpoint else ())

    async def run() -> None:
        runtime = await start()
        settle_heap()
        write_ready_file(ready_file, runtime.address)
        await until_signalled()
        await runtime.stop()

    grpc_runtime.run(run())
    shutdown_tracing(provider)
    shutdown_metrics(meter_provider)
    if endpoint is not None:
        endpoint.close()
    return 0


def exit_code(run: Callable[[], int]) -> int:
    """``run()``'s exit code; a configuration or plugin error is printed and exits 2 (as the
    `signalmesh` command does), Ctrl-C exits 130."""
    from signalmesh.config import ConfigError
    from signalmesh.plugins import PluginError

    try:
        return run()
    except (ConfigError, PluginError) as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def service_main(
    service: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[Config, argparse.Namespace], int],
    argv: Sequence[str] | None = None,
) -> int:
    """``python -m signalmesh.<service>``: ``--config`` and the service's own arguments parsed, the
    configuration loaded, then ``run(config, args)``, with the exit codes of :func:`exit_code`."""
    from signalmesh.config import load_config

    parser = argparse.ArgumentParser(
        prog=f"python -m signalmesh.{service}", description=f"Run the {service} service."
    )
    parser.add_argument("--config", type=Path, help="signalmesh.toml (default: built-in embedded settings)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return exit_code(lambda: run(load_config(args.config), args))
