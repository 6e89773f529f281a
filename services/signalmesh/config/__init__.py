"""signalmesh.toml → one frozen, typed Config, validated once at start-up with precise errors.

``model`` holds the settings' types, ``load`` reads the file and puts the tables together,
``sections``/``monitoring``/``quality``/``destinations``/``tracking_plan`` load one table each,
``secrets`` resolves ``env:``/``file:`` references and ``values`` reads one typed value. Import
from here.
"""

from __future__ import annotations

from signalmesh.config.destinations import check_destinations
from signalmesh.config.load import config_from_mapping, load_config
from signalmesh.config.model import (
    DEFAULT_SANDBOX_LISTEN,
    SANDBOX_PIXEL,
    SANDBOX_TOKEN,
    SCOPES,
    STRATEGIES,
    ApiClient,
    ClientTls,
    Config,
    DispatcherConfig,
    GatewayConfig,
    PolicyConfig,
    QualityConfig,
    SandboxConfig,
    ServerTls,
    StatsConfig,
    StoreConfig,
    TelemetryConfig,
    TrackingRule,
    default_destinations,
)
from signalmesh.config.secrets import refresh_secrets, resolve_secret, secret_versions
from signalmesh.config.tracking_plan import unknown_path
from signalmesh.config.values import ConfigError, parse_duration

__all__ = [
    "DEFAULT_SANDBOX_LISTEN",
    "SANDBOX_PIXEL",
    "SANDBOX_TOKEN",
    "SCOPES",
    "STRATEGIES",
    "ApiClient",
    "ClientTls",
    "Config",
    "ConfigError",
    "DispatcherConfig",
    "GatewayConfig",
    "PolicyConfig",
    "QualityConfig",
    "SandboxConfig",
    "ServerTls",
    "StatsConfig",
    "StoreConfig",
    "TelemetryConfig",
    "TrackingRule",
    "check_destinations",
    "config_from_mapping",
    "default_destinations",
    "load_config",
    "parse_duration",
    "refresh_secrets",
    "resolve_secret",
    "secret_versions",
    "unknown_path",
]
