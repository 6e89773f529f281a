"""Plugin manager: loads ``signalmesh`` entry points once and collects the connectors they register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pluggy

from signalmesh import hookspecs
from signalmesh.connector import Connector


class PluginError(Exception):
    """A plugin is broken or two plugins clash; raised at start-up, never mid-flight."""


@dataclass(frozen=True, slots=True)
class ConnectorInfo:
    connector: Connector
    distribution: str
    version: str


def make_plugin_manager(
    *, load_entry_points: bool = True, allow: Iterable[str] | None = None
) -> pluggy.PluginManager:
    """A plugin manager with our hookspecs and, unless told otherwise, every installed plugin.

    ``allow`` restricts loading to the named entry points (an allowlist for locked-down installs).
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    if load_entry_points:
        names: list[str | None] = [None] if allow is None else list(allow)
        for name in names:
            try:
                manager.load_setuptools_entrypoints(hookspecs.PROJECT_NAME, name=name)
            except Exception as error:  # a broken plugin must be reported with its name
                raise PluginError(f"a signalmesh plugin failed to load: {error!r}") from error
    manager.check_pending()
    return manager


class ConnectorRegistry:
    """Connectors by name, with the distribution and version each came from."""

    def __init__(self, infos: Iterable[ConnectorInfo]) -> None:
        self._by_name: dict[str, ConnectorInfo] = {}
        for info in infos:
            if info.connector.name in self._by_name:
                other = self._by_name[info.connector.name].distribution
                raise PluginError(
                    f"connector {info.connector.name!r} is registered by both {other} and {info.distribution}"
                )
            self._by_name[info.connector.name] = info

    @classmethod
    def from_plugin_manager(cls, manager: pluggy.PluginManager) -> ConnectorRegistry:
        infos: list[ConnectorInfo] = []
        for plugin_name, plugin in manager.list_name_plugin():
            distribution, version = _distribution_of(manager, plugin, plugin_name)
            collected: list[Connector] = []
            caller = manager.subset_hook_caller(
                "register_connectors",
                remove_plugins=[other for other in manager.get_plugins() if other is not plugin],
            )
            caller(register=collected.append)
            for connector in collected:
                if not isinstance(connector, Connector):
                    raise PluginError(
                        f"plugin {plugin_name!r} registered {connector!r}, which is not a Connector"
                    )
                infos.append(ConnectorInfo(connector, distribution, version))
        return cls(infos)

    def get(self, name: str) -> Connector:
        try:
            return self._by_name[name].connector
        except KeyError:
            known = ", ".join(sorted(self._by_name)) or "none installed"
            raise PluginError(f"no connector named {name!r} (installed: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def infos(self) -> list[ConnectorInfo]:
        return [self._by_name[name] for name in sorted(self._by_name)]

    def connectors(self) -> list[Connector]:
        """Every registered connector, by name: whose ``check_event`` rules the gateway applies."""
        return [info.connector for info in self.infos()]


def _distribution_of(manager: pluggy.PluginManager, plugin: object, plugin_name: str) -> tuple[str, str]:
    for candidate, dist in manager.list_plugin_distinfo():
        if candidate is plugin:
            return dist.project_name, dist.version
    return plugin_name, "unpackaged"


def load_registry(allow: Iterable[str] | None = None) -> ConnectorRegistry:
    """The registry of every installed connector; what the services call at start-up."""
    return ConnectorRegistry.from_plugin_manager(make_plugin_manager(allow=allow))
