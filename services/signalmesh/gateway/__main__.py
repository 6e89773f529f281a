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


def run(config: Config, args: argparse.Namespace) -> int:
    """Serve the gateway until SIGTERM; ``args`` are those :func:`add_arguments` defines."""

    async def start() -> GatewayRuntime:
        # Imported here: `signalmesh --help` should not load the whole service.
        from signalmesh.gateway.server import serve_gateway

        runtime = await serve_gateway(config, listen=args.listen, policy_address=args.policy)
        if runtime.local_key:
            print(
                f"local API key: {runtime.local_key} (stored in {config.state_dir / 'local-api-key'})",
                file=sys.stderr,
            )
        return runtime

    return run_grpc_service(
        "gateway", start, ready_file=args.ready_file, prometheus_listen=config.telemetry.prometheus_listen
    )


def main(argv: Sequence[str] | None = None) -> int:
    return service_main("gateway", add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
