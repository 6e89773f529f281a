"""Every `signalmesh` subcommand, one module each, registered in the order ``--help`` lists them.

A module adds its subcommand(s) in ``register(commands)`` (see ``cli/command.py``). Adding a
subcommand: write its module here and add its ``register`` to ``ALL``.
"""

from __future__ import annotations

from collections.abc import Callable

from signalmesh.cli.command import Commands
from signalmesh.cli.commands import (
    alerts,
    certs,
    check,
    demo,
    diff,
    dlq,
    keys,
    plugins,
    reconcile,
    report,
    send,
    services,
    stats,
    status,
    strategy,
    trace,
    up,
)

ALL: tuple[Callable[[Commands], None], ...] = (
    services.register,
    up.register,
    demo.register,
    plugins.register,
    send.register,
    check.register,
    status.register,
    diff.register,
    trace.register,
    dlq.register,
    strategy.register,
    stats.register,
    alerts.register,
    reconcile.register,
    report.register,
    keys.register,
    certs.register,
)
