"""The `signalmesh` command: run services, send and inspect events, list plugins.

Exit codes: 0 success, 1 the work failed (events rejected, service error), 2 bad usage or
configuration, 130 interrupted. The subcommands are in ``cli/commands/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from signalmesh.cli import commands
from signalmesh.cli.command import Commands
from signalmesh.cli.output import errors
from signalmesh.config import ConfigError
from signalmesh.plugins import PluginError


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
    except (ConfigError, PluginError) as error:
        errors.print(f"[bold red]configuration error:[/] {error}")
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signalmesh", description="Server-side conversion gateway mesh.")
    registry = Commands(parser)
    for register in commands.ALL:
        register(registry)
    return parser
