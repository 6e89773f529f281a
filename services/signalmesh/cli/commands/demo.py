"""`signalmesh demo`: the embedded mesh, sample events, what happened to each, then stop."""

from __future__ import annotations

import argparse

from signalmesh.cli.command import Commands
from signalmesh.cli.output import console


def register(commands: Commands) -> None:
    commands.add("demo", _demo, "start the embedded mesh, send sample events, show what happened, stop")


def _demo(args: argparse.Namespace) -> int:
    from signalmesh.cli.demo import run_demo

    return run_demo(console)
