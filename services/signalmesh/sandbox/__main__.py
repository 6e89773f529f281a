"""``python -m signalmesh.sandbox``: run the platform sandbox alone, as Kubernetes runs it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from signalmesh.config import DEFAULT_SANDBOX_LISTEN, SANDBOX_TOKEN
from signalmesh.sandbox.app import parse_listen, run_sandbox


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m signalmesh.sandbox",
        description="Emulate ad platform endpoints locally (validation, recording, fault injection).",
    )
    parser.add_argument("--listen", default=DEFAULT_SANDBOX_LISTEN, help="host:port (default %(default)s)")
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help=f"an access token the platforms accept; repeatable (default {SANDBOX_TOKEN})",
    )
    args = parser.parse_args(argv)
    try:
        parse_listen(args.listen)
    except ValueError as error:
        parser.error(str(error))
    try:
        run_sandbox(args.listen, args.tokens or [SANDBOX_TOKEN])
    except OSError as error:
        print(f"sandbox: cannot listen on {args.listen}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
