"""`python -m signalmesh.gateway --config signalmesh.toml`: the gateway service on its own, as
`signalmesh gateway` (and Kubernetes) runs it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from signalmesh.config import Config
from signalmesh.service_process import run_grpc_service, service_main

if TYPE_CHECKING:
    from signalmesh.gateway.server import GatewayRuntime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", help="host:port to bind (default from the config)")
    parser.add_argument("--policy", help="policy service address (default from the config)")
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    # Set by the supervisor of `[gateway] workers` > 1 for each worker it starts.
    parser.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--supervisor-pid", type=int, help=argparse.SUPPRESS)


def run(config: Config, args: argparse.Namespace) -> int:
    """Serve the gateway until SIGTERM; ``args`` are those :func:`add_arguments` defines.

    With ``[gateway] workers`` > 1 this process supervises that many worker processes on one
    port (:mod:`signalmesh.gateway.workers`) instead of serving itself."""
    worker_index = getattr(args, "worker_index", None)
    if worker_index is None and config.gateway.workers > 1:
        return _supervise(config, args)
    if worker_index is not None and args.supervisor_pid:
        from signalmesh.gateway.workers import die_with_parent

        die_with_parent(args.supervisor_pid)
    # Of several workers, the first serves the Prometheus endpoint (one port, one scrape target).
    prometheus_listen = config.telemetry.prometheus_listen if not worker_index else None

    async def start() -> GatewayRuntime:
        # Imported here: `signalmesh --help` should not load the whole service.
        from signalmesh.gateway.server import serve_gateway

        runtime = await serve_gateway(
            config, listen=args.listen, policy_address=args.policy, shared_port=worker_index is not None
        )
        if runtime.local_key and not worker_index:
            print(
                f"local API key: {runtime.local_key} (stored in {config.state_dir / 'local-api-key'})",
                file=sys.stderr,
            )
        return runtime

    return run_grpc_service("gateway", start, ready_file=args.ready_file, prometheus_listen=prometheus_listen)


def _supervise(config: Config, args: argparse.Namespace) -> int:
    from signalmesh.gateway.server import api_clients
    from signalmesh.gateway.workers import supervise

    api_clients(config)  # the local key exists before the workers read it
    worker_arguments: list[str] = []
    if getattr(args, "config", None):
        worker_arguments += ["--config", str(args.config)]
    if args.policy:
        worker_arguments += ["--policy", args.policy]
    return supervise(
        config.gateway.workers,
        args.listen or config.gateway.listen,
        worker_arguments,
        ready_file=args.ready_file,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return service_main("gateway", add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
