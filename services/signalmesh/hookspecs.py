"""The hooks a SignalMesh plugin implements. These docstrings are the plugin author's documentation.

A plugin is a Python distribution with an entry point in the ``signalmesh`` group that points
at a module (or object) carrying ``@hookimpl`` functions::

    [project.entry-points.signalmesh]
    acme = "signalmesh_acme.connector"

The core loads entry points once at start-up and calls ``pm.check_pending()``, so a misspelt
hook name fails loudly instead of being ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from signalmesh.connector import Connector
    from signalmesh.sandbox.emulators import PlatformEmulator

PROJECT_NAME = "signalmesh"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the platform connectors this plugin provides.

    Call ``register(connector)`` once per connector. A connector is any object that satisfies
    ``signalmesh.connector.Connector``: a ``name`` (what ``connector = "..."`` in
    ``signalmesh.toml`` refers to), its ``config_schema``, ``limits``, ``eligibility`` rules per
    strategy, ``required_identifiers`` per action source, and four pure methods: ``prepare``
    (normalise and hash one event), ``match_quality``, ``build_requests`` (wrap prepared events
    into HTTP requests) and ``classify`` (turn the platform's answer into one outcome per event).

    Connectors never do I/O; the core sends the requests, retries, rate-limits and traces them.
    Two connectors with the same name are an error reported at start-up.
    """


@hookspec
def register_emulators(register: Callable[[PlatformEmulator], None]) -> None:
    """Register the platform emulators this plugin brings to the sandbox (``signalmesh sandbox``).

    Optional: a connector for a platform the sandbox does not emulate can bring its own, so its
    round-trip tests and the demo run against the platform's behaviour rather than the generic
    ``/webhook/{name}`` sink. Call ``register(emulator)`` once per platform. An emulator is any
    object (a module will do) with ``PLATFORM`` (its name: what ``/_sandbox/events?platform=``
    and fault rules use), ``routes(tokens, clock, recorder)`` returning aiohttp route
    definitions that validate and record like the real API (``recorder.accept(...)``), and
    ``fault_response(status)``, the platform's own error body for an injected fault. The
    built-in emulators (``signalmesh/sandbox/meta.py`` …) register through this same hook;
    two emulators for one platform are an error reported when the sandbox starts.
    """
