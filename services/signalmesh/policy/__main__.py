"""`python -m signalmesh.policy --config signalmesh.toml`: the policy service on its own, as
`signalmesh policy` (and Kubernetes) runs it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from signalmesh.config import Config
from signalmesh.service_process import run_grpc_service, service_main

if TYPE_CHECKING:
    from signalmesh.policy.server import PolicyRuntime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", help="host:port to bind (default from the config)")
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)


def run(config: Config, args: argparse.Namespace) -> int:
    """Serve policy until SIGTERM; ``args`` are those :func:`add_arguments` defines."""

    async def start() -> PolicyRuntime:
        # Imported here: `signalmesh --help` should not load the whole service.
        from signalmesh.policy.server import serve_policy

        return await serve_policy(config, listen=args.listen)

    return run_grpc_service(
        "policy", start, ready_file=args.ready_file, prometheus_listen=config.telemetry.prometheus_listen
    )


def main(argv: Sequence[str] | None = None) -> int:
    return service_main("policy", add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
