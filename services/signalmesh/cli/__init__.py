"""The command-line side: the `signalmesh` command (``main``), its subcommands (``commands/``),
the synchronous gateway client (``client``), terminal output (``output``), `signalmesh up`
(``mesh_up``), the demo (``demo``, ``demo_samples``) and the process launcher (``processes``)."""

from __future__ import annotations

from signalmesh.cli.main import main

__all__ = ["main"]
