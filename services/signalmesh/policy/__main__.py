"""`python -m signalmesh.policy --config signalmesh.toml`: the policy service on its own, as
`signalmesh policy` (and Kubernetes) runs it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from signalmesh.config import Config, load_config
from signalmesh.service_process import exit_code, run_grpc_service

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
    parser = argparse.ArgumentParser(
        prog="python -m signalmesh.policy", description="Run the policy service."
    )
    parser.add_argument("--config", type=Path, help="signalmesh.toml (default: built-in embedded settings)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return exit_code(lambda: run(load_config(args.config), args))


if __name__ == "__main__":
    sys.exit(main())
