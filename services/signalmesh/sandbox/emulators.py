"""Which platforms the sandbox emulates: the built-in ones and any plugin's, through one hook.

A platform emulator is any object (a module will do) with a ``PLATFORM`` name, the ``routes``
that answer like the platform's API, and the platform's own ``fault_response``. The built-in
emulators (one module per platform beside this one) register through ``register_emulators``
exactly as a third-party connector's plugin does, so the sandbox has no closed list.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Protocol

import pluggy
from aiohttp import web

from signalmesh.hookspecs import hookimpl
from signalmesh.plugins import PluginError, make_plugin_manager
from signalmesh.sandbox import ga4, google_ads, linkedin, meta, tiktok, webhook
from signalmesh.sandbox.recorder import Recorder

Clock = Callable[[], float]
BUILT_IN_PLUGIN_NAME = "signalmesh-sandbox-emulators"


class PlatformEmulator(Protocol):
    """What the sandbox needs from one platform's emulation (``meta.py``, ``ga4.py`` …)."""

    # The platform's name: the recorder's key, ``/_sandbox/events?platform=…``, fault rules.
    PLATFORM: str

    def routes(self, tokens: frozenset[str], clock: Clock, recorder: Recorder) -> list[web.RouteDef]:
        """The platform's endpoints, validating and recording like the real API."""
        ...

    def fault_response(self, status: int) -> web.Response:
        """The platform's own error body for an injected status (5xx, 429 …)."""
        ...


@hookimpl
def register_emulators(register: Callable[[PlatformEmulator], None]) -> None:
    """The emulators that ship with the core."""
    for emulator in (ga4, google_ads, linkedin, meta, tiktok, webhook):
        register(emulator)


def emulators_from(manager: pluggy.PluginManager) -> tuple[PlatformEmulator, ...]:
    """Every emulator the manager's plugins register, by platform name; two of one name clash."""
    collected: list[PlatformEmulator] = []
    manager.hook.register_emulators(register=collected.append)
    by_name: dict[str, PlatformEmulator] = {}
    for emulator in collected:
        if emulator.PLATFORM in by_name:
            raise PluginError(f"two sandbox emulators are registered for platform {emulator.PLATFORM!r}")
        by_name[emulator.PLATFORM] = emulator
    return tuple(by_name[name] for name in sorted(by_name))


@functools.cache
def installed_emulators() -> tuple[PlatformEmulator, ...]:
    """The built-in emulators and those of every installed plugin; entry points load once."""
    manager = make_plugin_manager()
    manager.register(sys.modules[__name__], name=BUILT_IN_PLUGIN_NAME)
    return emulators_from(manager)
