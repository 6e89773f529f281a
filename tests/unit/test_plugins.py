"""The plugin manager: hooks checked at load, connectors collected with their origin."""

from __future__ import annotations

import pluggy
import pytest
from signalmesh.hookspecs import hookimpl
from signalmesh.plugins import ConnectorRegistry, PluginError, make_plugin_manager

from tests.support.fake_connector import FakeConnector


class FakePlugin:
    @hookimpl
    def register_connectors(self, register):
        register(FakeConnector())


def test_a_registered_plugin_contributes_its_connectors():
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(FakePlugin(), name="fake")
    registry = ConnectorRegistry.from_plugin_manager(manager)
    assert registry.get("fake").name == "fake"
    [info] = registry.infos()
    assert (info.distribution, info.version) == ("fake", "unpackaged")


def test_a_misspelt_hook_fails_loudly_at_load():
    class Misspelt:
        @hookimpl
        def register_conectors(self, register):  # typo on purpose
            pass

    manager = make_plugin_manager(load_entry_points=False)
    manager.register(Misspelt(), name="misspelt")
    with pytest.raises(pluggy.PluginValidationError):
        manager.check_pending()


def test_two_connectors_with_one_name_are_refused():
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(FakePlugin(), name="one")
    manager.register(FakePlugin(), name="two")
    with pytest.raises(PluginError, match="registered by both"):
        ConnectorRegistry.from_plugin_manager(manager)


def test_registering_something_that_is_not_a_connector_is_refused():
    class Broken:
        @hookimpl
        def register_connectors(self, register):
            register(object())

    manager = make_plugin_manager(load_entry_points=False)
    manager.register(Broken(), name="broken")
    with pytest.raises(PluginError, match="not a Connector"):
        ConnectorRegistry.from_plugin_manager(manager)


def test_unknown_connector_lookup_lists_what_is_installed():
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(FakePlugin(), name="fake")
    with pytest.raises(PluginError, match=r"no connector named 'tiktok' \(installed: fake\)"):
        ConnectorRegistry.from_plugin_manager(manager).get("tiktok")
