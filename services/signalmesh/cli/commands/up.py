"""`signalmesh up`: the whole mesh as separate processes on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse

from signalmesh.cli.command import Commands, config_of


def register(commands: Commands) -> None:
    sub = commands.add("up", _up, "run the whole mesh (policy, gateway, sandbox) as separate processes")
    sub.add_argument("--no-sandbox", action="store_true", help="do not start the local platform sandbox")


def _up(args: argparse.Namespace) -> int:
    from signalmesh.cli.mesh_up import run_mesh_until_interrupted

    return run_mesh_until_interrupted(config_of(args), args.config, with_sandbox=not args.no_sandbox)
