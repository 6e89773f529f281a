"""The sandbox's platforms come from a registry: built-ins and a plugin's emulator, one hook."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from signalmesh.hookspecs import hookimpl
from signalmesh.plugins import PluginError, make_plugin_manager
from signalmesh.sandbox import emulators, start_sandbox
from signalmesh.sandbox.recorder import Recorder


class AcmeEmulator:
    """A third party's platform: ``POST /acme/{pixel}`` records the JSON body as one event."""

    PLATFORM = "acme"

    def routes(self, tokens: frozenset[str], clock, recorder: Recorder) -> list[web.RouteDef]:
        async def receive(request: web.Request) -> web.Response:
            body = await request.json()
            recorder.accept(
                self.PLATFORM,
                request.match_info["pixel"],
                [(body["id"], body)],
                test=False,
                window_seconds=60,
            )
            return web.json_response({"ok": True})

        return [web.post("/acme/{pixel}", receive)]

    def fault_response(self, status: int) -> web.Response:
        return web.json_response({"acme_error": status}, status=status)


class AcmePlugin:
    @hookimpl
    def register_emulators(self, register):
        register(AcmeEmulator())


def manager_with(*plugins: object):
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(emulators, name=emulators.BUILT_IN_PLUGIN_NAME)
    for index, plugin in enumerate(plugins):
        manager.register(plugin, name=f"plugin-{index}")
    return manager


def test_the_built_in_emulators_register_through_the_hook():
    names = [emulator.PLATFORM for emulator in emulators.emulators_from(manager_with())]
    assert names == ["ga4", "google_ads", "linkedin", "meta", "tiktok", "webhook"]


def test_a_plugins_emulator_joins_the_built_in_ones_by_name():
    names = [emulator.PLATFORM for emulator in emulators.emulators_from(manager_with(AcmePlugin()))]
    assert names == ["acme", "ga4", "google_ads", "linkedin", "meta", "tiktok", "webhook"]


def test_two_emulators_for_one_platform_are_refused():
    with pytest.raises(PluginError, match="'acme'"):
        emulators.emulators_from(manager_with(AcmePlugin(), AcmePlugin()))


def test_the_installed_emulators_include_every_built_in_one():
    names = {emulator.PLATFORM for emulator in emulators.installed_emulators()}
    assert {"ga4", "google_ads", "linkedin", "meta", "tiktok", "webhook"} <= names


async def test_a_registered_emulator_is_served_recorded_and_open_to_faults():
    platforms = emulators.emulators_from(manager_with(AcmePlugin()))
    async with await start_sandbox(port=0, emulators=platforms) as sandbox, aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/_sandbox/health") as health:
            assert "acme" in (await health.json())["platforms"]
        async with http.post(f"{sandbox.url}/acme/px-1", json={"id": "evt-1"}) as answer:
            assert answer.status == 200
        async with http.get(
            f"{sandbox.url}/_sandbox/events", params={"platform": "acme", "destination": "px-1"}
        ) as recorded:
            assert [event["id"] for event in (await recorded.json())["events"]] == ["evt-1"]
        fault = {"platform": "acme", "status": 503, "count": 1}
        async with http.post(f"{sandbox.url}/_sandbox/faults", json=fault) as added:
            assert added.status == 201, await added.text()
        async with http.post(f"{sandbox.url}/acme/px-1", json={"id": "evt-2"}) as faulted:
            assert (faulted.status, await faulted.json()) == (503, {"acme_error": 503})
