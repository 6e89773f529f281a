"""``[destinations.NAME]`` tables → Destinations, and the start-up check of each against the
connector it names (installed, and given exactly the settings that connector takes)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from signalmesh.config.model import STRATEGIES, Config
from signalmesh.config.monitoring import rotated_at
from signalmesh.config.secrets import is_reference, resolve_secret
from signalmesh.config.values import ConfigError
from signalmesh.connector import Destination

if TYPE_CHECKING:
    from signalmesh.plugins import ConnectorRegistry

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
OWN_KEYS = ("connector", "strategy", "test_mode", "rotated_at", "rollout_percent")


def load_destinations(raw: Any, environ: Mapping[str, str]) -> dict[str, Destination]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("destinations: must be a table of [destinations.NAME] tables")
    return {name: _destination(name, table, environ) for name, table in raw.items()}


def load_rotations(raw: Any) -> dict[str, float]:
    """Destination → when its credential was last rotated (``rotated_at``), for the token-age alert."""
    if not isinstance(raw, dict):
        return {}
    return {
        name: rotated_at(table["rotated_at"], f"destinations.{name}.rotated_at")
        for name, table in raw.items()
        if isinstance(table, dict) and "rotated_at" in table
    }


def _destination(name: str, table: Any, environ: Mapping[str, str]) -> Destination:
    key = f"destinations.{name}"
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"{key}: destination names are lower-case letters, digits, '_' or '-', starting with a letter"
        )
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: must be a table")
    connector = table.get("connector")
    if not isinstance(connector, str) or not connector:
        raise ConfigError(f'{key}.connector: required; the name of an installed connector, e.g. "meta"')
    strategy = table.get("strategy")
    if strategy is not None and strategy not in STRATEGIES:
        raise ConfigError(f"{key}.strategy: {strategy!r} is not a strategy; use one of {list(STRATEGIES)}")
    test_mode = table.get("test_mode", False)
    if not isinstance(test_mode, bool):
        raise ConfigError(f"{key}.test_mode: must be true or false")
    settings, references = _settings(key, table, environ)
    return Destination(
        name=name,
        connector=connector,
        settings=settings,
        strategy=strategy,
        test_mode=test_mode,
        secret_references=references,
        rollout_percent=_rollout_percent(table.get("rollout_percent", 100), f"{key}.rollout_percent"),
    )


def _rollout_percent(value: Any, key: str) -> float:
    """A share of live traffic, 0–100 (decimals allowed: 0.5 is one event in two hundred)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ConfigError(
            f"{key}: {value!r} is not a share of traffic; give a number from 0 to 100 "
            "(10 sends one live event in ten, 100 sends them all)"
        )
    return float(value)


def _settings(
    key: str, table: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The connector's settings (secrets resolved) and the secret references they came from."""
    settings: dict[str, str] = {}
    references: dict[str, str] = {}
    for setting, value in table.items():
        if setting in OWN_KEYS:
            continue
        # A table of strings (e.g. conversion_actions = { Purchase = "123" }) is flattened to
        # "conversion_actions.Purchase" so connectors read plain string settings.
        entries = value.items() if isinstance(value, dict) else [(None, value)]
        for sub_key, sub_value in entries:
            flat_name = setting if sub_key is None else f"{setting}.{sub_key}"
            if isinstance(sub_value, bool) or not isinstance(sub_value, str | int | float):
                raise ConfigError(f"{key}.{flat_name}: must be a string or a number (or a table of them)")
            settings[flat_name] = resolve_secret(str(sub_value), f"{key}.{flat_name}", environ)
            if is_reference(str(sub_value)):
                references[flat_name] = str(sub_value)
    return settings, references


def check_destinations(config: Config, registry: ConnectorRegistry) -> None:
    """Every destination names an installed connector and gives exactly the settings it takes."""
    installed = ", ".join(info.connector.name for info in registry.infos()) or "none"
    for name, destination in config.destinations.items():
        key = f"destinations.{name}"
        if destination.connector not in registry:
            raise ConfigError(
                f"{key}.connector: no connector {destination.connector!r} is installed "
                f"(installed: {installed})"
            )
        schema = {field.name: field for field in registry.get(destination.connector).config_schema}
        for setting in destination.settings:
            if setting.partition(".")[0] not in schema:
                raise ConfigError(
                    f"{key}.{setting}: connector {destination.connector!r} has no setting {setting!r}; "
                    f"it takes {sorted(schema)}"
                )
        for field_name, field_spec in schema.items():
            present = destination.settings.get(field_name) or any(
                setting.startswith(f"{field_name}.") for setting in destination.settings
            )
            if field_spec.required and not present and field_spec.default is None:
                hint = " (a secret: write it as env:VARIABLE)" if field_spec.secret else ""
                raise ConfigError(
                    f"{key}.{field_name}: required by connector {destination.connector!r}: "
                    f"{field_spec.description}{hint}"
                )
