"""What a `signalmesh` subcommand is: a name, a help line, its own arguments and a handler that
returns the exit code (0 success, 1 the work failed, 2 bad usage or configuration).

Each subcommand lives in a module of ``cli/commands/`` with a ``register(commands)`` function;
``cli/commands/__init__.py`` lists those modules in ``--help`` order. Adding a subcommand is one
small module and one line there.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from signalmesh.config import Config, load_config

Handler = Callable[[argparse.Namespace], int]


class Commands:
    """The subcommands of one parser; every subcommand takes ``--config``."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(self, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        """Add subcommand ``name``; returns its parser for the subcommand's own arguments."""
        sub = self._subparsers.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", type=Path, help="signalmesh.toml (default: built-in embedded settings)")
        sub.set_defaults(handler=handler)
        return sub


def config_of(args: argparse.Namespace) -> Config:
    """The configuration a subcommand was given (``--config``; built-in defaults without one)."""
    return load_config(args.config)
