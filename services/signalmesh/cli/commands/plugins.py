"""`signalmesh plugins`: the installed connectors (exit 1 when there are none)."""

from __future__ import annotations

import argparse

from rich.table import Table

from signalmesh.cli.command import Commands, config_of
from signalmesh.cli.output import console


def register(commands: Commands) -> None:
    commands.add("plugins", _plugins, "list the installed connectors")


def _plugins(args: argparse.Namespace) -> int:
    from signalmesh.plugins import load_registry

    registry = load_registry(config_of(args).plugins_allow)
    table = Table(title="Installed connectors")
    for column in ("connector", "distribution", "version", "batch limit", "description"):
        table.add_column(column)
    for info in registry.infos():
        limit = str(info.connector.limits.max_events_per_request)
        table.add_row(info.connector.name, info.distribution, info.version, limit, info.connector.description)
    console.print(table)
    return 0 if registry.infos() else 1
