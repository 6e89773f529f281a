"""signalmesh.toml → one frozen, typed Config, validated once at start-up with precise errors.

Every setting has a safe default, so the embedded mesh (SQLite + local sandbox) runs with no
file at all. This is the only module that reads environment variables (for ``env:`` secret
references); OpenTelemetry reads its own ``OTEL_*`` variables.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalmesh.connector import SEND_ALL, STRICT, Destination
from signalmesh.gateway.tracking_plan import TrackingRule, unknown_path

if TYPE_CHECKING:
    from signalmesh.plugins import ConnectorRegistry

STRATEGIES = (STRICT, SEND_ALL)
DEFAULT_SANDBOX_LISTEN = "127.0.0.1:7480"
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_PIXEL = "1234567890"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
SCOPES = ("events:write", "events:read", "admin")


class ConfigError(ValueError):
    """A setting is wrong; the message names the key, the rule and the fix."""


@dataclass(frozen=True, slots=True)
class ApiClient:
    name: str
    key_sha256: str
    scopes: tuple[str, ...] = SCOPES


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    listen: str = "127.0.0.1:7400"
    policy_address: str = "127.0.0.1:7401"
    # Deadline for the policy hop; past it the gateway answers UNAVAILABLE (never guesses).
    policy_timeout_seconds: float = 5.0
    # Unary SendEvent calls wait at most this long to share one policy call.
    micro_batch_linger_ms: float = 2.0
    max_batch_size: int = 1000
    # An event without event_id is rejected unless this is set; a generated id comes with a
    # warning, because the browser pixel cannot share it and platforms cannot deduplicate.
    generate_missing_event_id: bool = False
    # Past this many undelivered entries the gateway answers RESOURCE_EXHAUSTED with a retry
    # hint instead of growing without bound (a platform outage must not exhaust the disk).
    max_outbox_depth: int = 1_000_000


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    listen: str = "127.0.0.1:7401"
    default_strategy: str = STRICT
    dedup_window_seconds: float = 48 * 3600
    # A shared secret the gateway presents to policy (``authorization: Bearer``). Without it,
    # anyone who reaches policy's port could claim dedup keys and make real events "duplicates".
    token: str | None = None


@dataclass(frozen=True, slots=True)
class StoreConfig:
    backend: str = "sqlite"
    # Relative paths are relative to the state directory.
    path: str = "signalmesh.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prefix of every key: environments (or test runs) can share one Redis without mixing.
    redis_namespace: str = "signalmesh"
    # How long a delivered or skipped event's status is kept for `signalmesh status` (SQLite
    # prunes older rows; Redis expires the keys). Longer than any dedup window.
    status_retention_seconds: float = 30 * 86400


@dataclass(frozen=True, slots=True)
class DispatcherConfig:
    # How long a worker waits for a batch to fill before sending what it has.
    linger_ms: float = 20.0
    # How often an idle worker looks for due entries.
    poll_interval_ms: float = 50.0
    # An entry claimed by a worker that died is retried after this long.
    lease_seconds: float = 30.0
    # 0: no cap on attempts; the horizon (and the platform's age window) ends retrying.
    max_attempts: int = 0
    # Keep retrying this long after an entry was enqueued, then dead-letter it.
    retry_horizon_seconds: float = 24 * 3600
    base_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 300.0
    request_timeout_seconds: float = 10.0
    # Batches in flight per destination (each worker claims its own batch).
    concurrency: int = 2
    # Consecutive failed requests that open a destination's circuit, and how long it stays open.
    breaker_threshold: int = 5
    breaker_cooldown_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    listen: str = DEFAULT_SANDBOX_LISTEN
    tokens: tuple[str, ...] = (SANDBOX_TOKEN,)


@dataclass(frozen=True, slots=True)
class Config:
    state_dir: Path = Path(".signalmesh")
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    dispatcher: DispatcherConfig = field(default_factory=DispatcherConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    clients: tuple[ApiClient, ...] = ()
    # Event name → the business's own rules for that event (tracking plan).
    tracking_plan: Mapping[str, TrackingRule] = field(default_factory=dict)
    # Entry-point names to load; None loads every installed plugin.
    plugins_allow: tuple[str, ...] | None = None
    # Where the config came from (None: built-in defaults).
    source: Path | None = None

    @property
    def sqlite_path(self) -> Path:
        path = Path(self.store.path)
        return path if path.is_absolute() else self.state_dir / path

    def strategy_for(self, destination: str) -> str:
        configured = self.destinations.get(destination)
        return (configured.strategy if configured else None) or self.policy.default_strategy


def default_destinations(sandbox_listen: str = DEFAULT_SANDBOX_LISTEN) -> dict[str, Destination]:
    """With no destinations configured, send to Meta through the local sandbox."""
    return {
        "meta": Destination(
            name="meta",
            connector="meta",
            settings={
                "pixel_id": SANDBOX_PIXEL,
                "access_token": SANDBOX_TOKEN,
                "base_url": f"http://{sandbox_listen}",
            },
        )
    }


def parse_duration(value: Any, key: str) -> float:
    """``"48h"``, ``"250ms"``, ``"7d"`` or a number of seconds → seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and (match := _DURATION.match(value.strip())):
        return float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
    raise ConfigError(f'{key}: {value!r} is not a duration; write e.g. "48h", "250ms" or a number of seconds')


def resolve_secret(value: str, key: str, environ: Mapping[str, str]) -> str:
    """``env:NAME`` and ``file:PATH`` references → the secret; anything else is taken literally."""
    if value.startswith("env:"):
        name = value[4:]
        if name not in environ:
            raise ConfigError(f"{key}: environment variable {name} is not set (referenced as {value!r})")
        return environ[name]
    if value.startswith("file:"):
        path = Path(value[5:])
        try:
            return path.read_text().strip()
        except OSError as error:
            raise ConfigError(f"{key}: cannot read secret file {path}: {error.strerror}") from None
    return value


def refresh_secrets(destination: Destination, environ: Mapping[str, str] | None = None) -> Destination:
    """``destination`` with its ``env:``/``file:`` settings read again (a rotated token).
    A reference that cannot be read now keeps its previous value."""
    environment = os.environ if environ is None else environ
    settings = dict(destination.settings)
    for setting, reference in destination.secret_references.items():
        try:
            settings[setting] = resolve_secret(
                reference, f"destinations.{destination.name}.{setting}", environment
            )
        except ConfigError:
            continue
    return replace(destination, settings=settings)


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


_SECTION_KEYS = {
    "state_dir",
    "gateway",
    "policy",
    "store",
    "dispatcher",
    "sandbox",
    "destinations",
    "clients",
    "plugins",
    "tracking_plan",
}


def config_from_mapping(data: Mapping[str, Any], environ: Mapping[str, str], source: Path | None) -> Config:
    unknown = set(data) - _SECTION_KEYS
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}; known: {sorted(_SECTION_KEYS)}")
    base_dir = source.parent if source else Path.cwd()
    state_dir = Path(_typed(data, "state_dir", str, ".signalmesh", ""))
    if not state_dir.is_absolute():
        state_dir = base_dir / state_dir

    gateway_data = _section(data, "gateway")
    gateway = GatewayConfig(
        listen=_typed(gateway_data, "listen", str, GatewayConfig().listen, "gateway"),
        policy_address=_typed(gateway_data, "policy_address", str, GatewayConfig().policy_address, "gateway"),
        policy_timeout_seconds=parse_duration(
            gateway_data.get("policy_timeout", 5.0), "gateway.policy_timeout"
        ),
        micro_batch_linger_ms=parse_duration(
            gateway_data.get("micro_batch_linger", 0.002), "gateway.micro_batch_linger"
        )
        * 1000,
        max_batch_size=_positive_int(
            gateway_data, "max_batch_size", GatewayConfig().max_batch_size, "gateway"
        ),
        generate_missing_event_id=_typed(gateway_data, "generate_missing_event_id", bool, False, "gateway"),
        max_outbox_depth=_positive_int(
            gateway_data, "max_outbox_depth", GatewayConfig().max_outbox_depth, "gateway"
        ),
    )
    _reject_unknown(
        gateway_data,
        {
            "listen",
            "policy_address",
            "policy_timeout",
            "micro_batch_linger",
            "max_batch_size",
            "generate_missing_event_id",
            "max_outbox_depth",
        },
        "gateway",
    )

    policy_data = _section(data, "policy")
    default_strategy = _typed(policy_data, "default_strategy", str, STRICT, "policy")
    if default_strategy not in STRATEGIES:
        raise ConfigError(
            f"policy.default_strategy: {default_strategy!r} is not a strategy; use one of {list(STRATEGIES)}"
        )
    raw_token = _typed(policy_data, "token", str, "", "policy")
    policy = PolicyConfig(
        listen=_typed(policy_data, "listen", str, PolicyConfig().listen, "policy"),
        default_strategy=default_strategy,
        dedup_window_seconds=parse_duration(policy_data.get("dedup_window", "48h"), "policy.dedup_window"),
        token=resolve_secret(raw_token, "policy.token", environ) if raw_token else None,
    )
    _reject_unknown(policy_data, {"listen", "default_strategy", "dedup_window", "token"}, "policy")

    store_data = _section(data, "store")
    backend = _typed(store_data, "backend", str, "sqlite", "store")
    if backend not in ("sqlite", "redis"):
        raise ConfigError(f'store.backend: {backend!r} is not a backend; use "sqlite" (embedded) or "redis"')
    store = StoreConfig(
        backend=backend,
        path=_typed(store_data, "path", str, StoreConfig().path, "store"),
        redis_url=_typed(store_data, "redis_url", str, StoreConfig().redis_url, "store"),
        redis_namespace=_typed(store_data, "redis_namespace", str, StoreConfig().redis_namespace, "store"),
        status_retention_seconds=parse_duration(
            store_data.get("status_retention", "30d"), "store.status_retention"
        ),
    )
    if store.status_retention_seconds < policy.dedup_window_seconds:
        # A duplicate within the window is told apart from a lost first copy by its status.
        raise ConfigError(
            "store.status_retention: must be at least policy.dedup_window "
            f"({policy.dedup_window_seconds / 3600:g}h): a duplicate is recognised by its first copy's status"
        )
    if not store.redis_namespace or ":" in store.redis_namespace:
        raise ConfigError(
            f"store.redis_namespace: {store.redis_namespace!r} must be a non-empty name without ':'"
            ' (e.g. "signalmesh-staging")'
        )
    _reject_unknown(
        store_data, {"backend", "path", "redis_url", "redis_namespace", "status_retention"}, "store"
    )

    dispatcher_data = _section(data, "dispatcher")
    dispatcher = DispatcherConfig(
        linger_ms=parse_duration(dispatcher_data.get("linger", "20ms"), "dispatcher.linger") * 1000,
        poll_interval_ms=parse_duration(
            dispatcher_data.get("poll_interval", "50ms"), "dispatcher.poll_interval"
        )
        * 1000,
        lease_seconds=parse_duration(dispatcher_data.get("lease", "30s"), "dispatcher.lease"),
        max_attempts=_non_negative_int(dispatcher_data, "max_attempts", 0, "dispatcher"),
        retry_horizon_seconds=parse_duration(
            dispatcher_data.get("retry_horizon", "24h"), "dispatcher.retry_horizon"
        ),
        concurrency=_positive_int(
            dispatcher_data, "concurrency", DispatcherConfig().concurrency, "dispatcher"
        ),
        breaker_threshold=_positive_int(
            dispatcher_data, "breaker_threshold", DispatcherConfig().breaker_threshold, "dispatcher"
        ),
        breaker_cooldown_seconds=parse_duration(
            dispatcher_data.get("breaker_cooldown", "30s"), "dispatcher.breaker_cooldown"
        ),
        base_backoff_seconds=parse_duration(
            dispatcher_data.get("base_backoff", "500ms"), "dispatcher.base_backoff"
        ),
        max_backoff_seconds=parse_duration(
            dispatcher_data.get("max_backoff", "5m"), "dispatcher.max_backoff"
        ),
        request_timeout_seconds=parse_duration(
            dispatcher_data.get("request_timeout", "10s"), "dispatcher.request_timeout"
        ),
    )
    _reject_unknown(
        dispatcher_data,
        {
            "linger",
            "poll_interval",
            "lease",
            "max_attempts",
            "base_backoff",
            "max_backoff",
            "request_timeout",
            "retry_horizon",
            "concurrency",
            "breaker_threshold",
            "breaker_cooldown",
        },
        "dispatcher",
    )

    sandbox_data = _section(data, "sandbox")
    tokens = sandbox_data.get("tokens", [SANDBOX_TOKEN])
    if not isinstance(tokens, list) or not all(isinstance(token, str) and token for token in tokens):
        raise ConfigError("sandbox.tokens: must be a list of non-empty strings")
    sandbox = SandboxConfig(
        listen=_typed(sandbox_data, "listen", str, DEFAULT_SANDBOX_LISTEN, "sandbox"), tokens=tuple(tokens)
    )
    _reject_unknown(sandbox_data, {"listen", "tokens"}, "sandbox")

    destinations = _destinations(data.get("destinations"), environ) or default_destinations(sandbox.listen)
    clients = _clients(data.get("clients", []))

    plugins_data = _section(data, "plugins")
    allow = plugins_data.get("allow")
    if allow is not None and (
        not isinstance(allow, list) or not all(isinstance(name, str) for name in allow)
    ):
        raise ConfigError('plugins.allow: must be a list of entry-point names, e.g. ["meta"]')
    _reject_unknown(plugins_data, {"allow"}, "plugins")

    return Config(
        state_dir=state_dir,
        gateway=gateway,
        policy=policy,
        store=store,
        dispatcher=dispatcher,
        sandbox=sandbox,
        destinations=destinations,
        clients=clients,
        plugins_allow=tuple(allow) if allow is not None else None,
        tracking_plan=_tracking_plan(_section(data, "tracking_plan")),
        source=source,
    )


def _destinations(raw: Any, environ: Mapping[str, str]) -> dict[str, Destination]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("destinations: must be a table of [destinations.NAME] tables")
    result: dict[str, Destination] = {}
    for name, table in raw.items():
        key = f"destinations.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", name):
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
            raise ConfigError(
                f"{key}.strategy: {strategy!r} is not a strategy; use one of {list(STRATEGIES)}"
            )
        test_mode = table.get("test_mode", False)
        if not isinstance(test_mode, bool):
            raise ConfigError(f"{key}.test_mode: must be true or false")
        settings: dict[str, str] = {}
        references: dict[str, str] = {}
        for setting, value in table.items():
            if setting in ("connector", "strategy", "test_mode"):
                continue
            # A table of strings (e.g. conversion_actions = { Purchase = "123" }) is flattened to
            # "conversion_actions.Purchase" so connectors read plain string settings.
            entries = value.items() if isinstance(value, dict) else [(None, value)]
            for sub_key, sub_value in entries:
                flat_name = setting if sub_key is None else f"{setting}.{sub_key}"
                if isinstance(sub_value, bool) or not isinstance(sub_value, str | int | float):
                    raise ConfigError(f"{key}.{flat_name}: must be a string or a number (or a table of them)")
                settings[flat_name] = resolve_secret(str(sub_value), f"{key}.{flat_name}", environ)
                if str(sub_value).startswith(("env:", "file:")):
                    references[flat_name] = str(sub_value)
        result[name] = Destination(
            name=name,
            connector=connector,
            settings=settings,
            strategy=strategy,
            test_mode=test_mode,
            secret_references=references,
        )
    return result


def _tracking_plan(raw: Mapping[str, Any]) -> dict[str, TrackingRule]:
    plan = {}
    for event_name, table in raw.items():
        key = f"tracking_plan.{event_name}"
        if not isinstance(table, dict):
            raise ConfigError(
                f"{key}: must be a table with required, required_one_of and/or custom_properties"
            )
        _reject_unknown(table, {"required", "required_one_of", "custom_properties"}, key)
        paths: dict[str, tuple[str, ...]] = {}
        for list_key in ("required", "required_one_of"):
            values = table.get(list_key, [])
            if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
                raise ConfigError(
                    f'{key}.{list_key}: must be a list of ConversionEvent field paths, e.g. ["order_id"]'
                )
            for value in values:
                if problem := unknown_path(value):
                    raise ConfigError(f"{key}.{list_key}: {value!r}: {problem}")
            paths[list_key] = tuple(values)
        properties = table.get("custom_properties", {})
        if not isinstance(properties, dict) or not all(
            isinstance(value, str) for value in properties.values()
        ):
            raise ConfigError(
                f"{key}.custom_properties: must be a table of required string values, "
                'e.g. payment_status = "succeeded"'
            )
        plan[event_name] = TrackingRule(
            event_name, paths["required"], paths["required_one_of"], dict(properties)
        )
    return plan


def _clients(raw: Any) -> tuple[ApiClient, ...]:
    if not isinstance(raw, list):
        raise ConfigError("clients: must be an array of [[clients]] tables")
    clients = []
    for position, table in enumerate(raw):
        key = f"clients[{position}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{key}: must be a table with name, key_sha256 and scopes")
        name = table.get("name")
        digest = table.get("key_sha256")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{key}.name: required")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ConfigError(
                f"{key}.key_sha256: must be the SHA-256 hex of the API key (64 lower-case hex); "
                "generate one with `signalmesh keys new`"
            )
        _reject_unknown(table, {"name", "key_sha256", "scopes"}, key)
        scopes = table.get("scopes", list(SCOPES))
        bad = [scope for scope in scopes if scope not in SCOPES] if isinstance(scopes, list) else [scopes]
        if bad:
            raise ConfigError(f"{key}.scopes: unknown scope(s) {bad}; known: {list(SCOPES)}")
        clients.append(ApiClient(name=name, key_sha256=digest, scopes=tuple(scopes)))
    return tuple(clients)


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: must be a table ([{name}])")
    return value


def _typed(data: Mapping[str, Any], key: str, kind: type, default: Any, section: str) -> Any:
    value = data.get(key, default)
    if not isinstance(value, kind):
        where = f"{section}.{key}" if section else key
        raise ConfigError(f"{where}: must be a {kind.__name__}, got {value!r}")
    return value


def _positive_int(data: Mapping[str, Any], key: str, default: int, section: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{section}.{key}: must be a positive integer, got {value!r}")
    return value


def _non_negative_int(data: Mapping[str, Any], key: str, default: int, section: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{section}.{key}: must be an integer ≥ 0 (0 means no limit), got {value!r}")
    return value


def _reject_unknown(data: Mapping[str, Any], known: set[str], section: str) -> None:
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{section}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")


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
