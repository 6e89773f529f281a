"""signalmesh.toml → one frozen, typed Config, validated once at start-up with precise errors.

Each table has its loader (``sections``, ``destinations``, ``tracking_plan``); this module reads
the file, refuses unknown tables and puts the sections together in a fixed order, so the first
error reported is always the same one.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from signalmesh.config import sections
from signalmesh.config.destinations import load_destinations, load_rotations
from signalmesh.config.model import Config, default_destinations
from signalmesh.config.monitoring import load_alerts, load_stats, load_telemetry
from signalmesh.config.privacy import load_privacy
from signalmesh.config.quality import load_quality
from signalmesh.config.tracking_plan import load_tracking_plan
from signalmesh.config.values import ConfigError, section, typed

_SECTION_KEYS = {
    "state_dir",
    "gateway",
    "policy",
    "store",
    "dispatcher",
    "sandbox",
    "destinations",
    "clients",
    "client",
    "plugins",
    "tracking_plan",
    "stats",
    "alerts",
    "telemetry",
    "quality",
    "privacy",
}


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path`` (None: built-in defaults)."""
    environment = os.environ if environ is None else environ
    if path is None:
        return config_from_mapping({}, environment, source=None)
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return config_from_mapping(data, environment, source=Path(path))


def config_from_mapping(data: Mapping[str, Any], environ: Mapping[str, str], source: Path | None) -> Config:
    """Validate parsed TOML; relative paths are relative to ``source``'s folder (or the cwd)."""
    unknown = set(data) - _SECTION_KEYS
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}; known: {sorted(_SECTION_KEYS)}")
    state_dir = _state_dir(data, source)
    gateway = sections.load_gateway(section(data, "gateway"))
    policy = sections.load_policy(section(data, "policy"), environ)
    store = sections.load_store(section(data, "store"), policy.dedup_window_seconds, environ)
    dispatcher = sections.load_dispatcher(section(data, "dispatcher"))
    sandbox = sections.load_sandbox(section(data, "sandbox"))
    destinations = load_destinations(data.get("destinations"), environ)
    destinations = destinations or default_destinations(sandbox.listen)
    clients = sections.load_clients(data.get("clients", []))
    for position, client in enumerate(clients):
        unknown_names = sorted(set(client.destinations or ()) - set(destinations))
        if unknown_names:
            raise ConfigError(
                f"clients[{position}].destinations: {unknown_names} not configured; "
                f"known: {sorted(destinations)}"
            )
    return Config(
        state_dir=state_dir,
        gateway=gateway,
        policy=policy,
        store=store,
        dispatcher=dispatcher,
        sandbox=sandbox,
        stats=load_stats(section(data, "stats")),
        telemetry=load_telemetry(section(data, "telemetry")),
        alerts=load_alerts(section(data, "alerts"), environ),
        quality=load_quality(section(data, "quality")),
        privacy=load_privacy(section(data, "privacy")),
        rotated_at=load_rotations(data.get("destinations")),
        destinations=destinations,
        clients=clients,
        client_tls=sections.load_client(section(data, "client")),
        plugins_allow=sections.load_plugins_allow(section(data, "plugins")),
        tracking_plan=load_tracking_plan(section(data, "tracking_plan")),
        source=source,
    )


def _state_dir(data: Mapping[str, Any], source: Path | None) -> Path:
    state_dir = Path(typed(data, "state_dir", str, ".signalmesh", ""))
    if state_dir.is_absolute():
        return state_dir
    return (source.parent if source else Path.cwd()) / state_dir
