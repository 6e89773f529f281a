"""One loader per signalmesh.toml table: ``[gateway]``, ``[policy]``, ``[store]``, ``[dispatcher]``,
``[sandbox]``, ``[plugins]``, ``[client]`` and ``[[clients]]``. Each reads its keys in order, then refuses
keys it does not know (a typo must not silently fall back to a default)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import (
    DEFAULT_SANDBOX_LISTEN,
    SANDBOX_TOKEN,
    SCOPES,
    STRATEGIES,
    ApiClient,
    ClientTls,
    DispatcherConfig,
    GatewayConfig,
    PolicyConfig,
    SandboxConfig,
    StoreConfig,
)
from signalmesh.config.secrets import resolve_secret
from signalmesh.config.tls import SERVER_TLS_KEYS, client_tls_keys, load_client_tls, load_server_tls
from signalmesh.config.values import (
    ConfigError,
    duration,
    non_negative_int,
    non_negative_number,
    positive_int,
    reject_unknown,
    typed,
)
from signalmesh.connector import STRICT

_GATEWAY_KEYS = {
    "listen",
    "policy_address",
    "policy_timeout",
    "micro_batch_linger",
    "max_batch_size",
    "generate_missing_event_id",
    "max_outbox_depth",
    "client_events_per_second",
    "client_burst",
    "client_max_concurrent_streams",
    "max_streams_per_connection",
    "keepalive_time",
    "keepalive_timeout",
    "min_client_ping_interval",
    *SERVER_TLS_KEYS,
    *client_tls_keys("policy_tls_"),
    "workers",
}
_DISPATCHER_KEYS = {
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
}


def load_gateway(data: Mapping[str, Any]) -> GatewayConfig:
    defaults = GatewayConfig()
    gateway = GatewayConfig(
        listen=typed(data, "listen", str, defaults.listen, "gateway"),
        policy_address=typed(data, "policy_address", str, defaults.policy_address, "gateway"),
        policy_timeout_seconds=duration(data, "policy_timeout", 5.0, "gateway"),
        micro_batch_linger_ms=duration(data, "micro_batch_linger", 0.002, "gateway") * 1000,
        max_batch_size=positive_int(data, "max_batch_size", defaults.max_batch_size, "gateway"),
        generate_missing_event_id=typed(data, "generate_missing_event_id", bool, False, "gateway"),
        max_outbox_depth=positive_int(data, "max_outbox_depth", defaults.max_outbox_depth, "gateway"),
        client_events_per_second=non_negative_number(data, "client_events_per_second", 0.0, "gateway"),
        client_burst=non_negative_number(data, "client_burst", 0.0, "gateway"),
        client_max_concurrent_streams=non_negative_int(
            data, "client_max_concurrent_streams", defaults.client_max_concurrent_streams, "gateway"
        ),
        max_streams_per_connection=non_negative_int(
            data, "max_streams_per_connection", defaults.max_streams_per_connection, "gateway"
        ),
        keepalive_time_seconds=duration(data, "keepalive_time", "60s", "gateway"),
        keepalive_timeout_seconds=duration(data, "keepalive_timeout", "20s", "gateway"),
        min_client_ping_interval_seconds=duration(data, "min_client_ping_interval", "10s", "gateway"),
        tls=load_server_tls(data, "gateway"),
        policy_tls=load_client_tls(data, "gateway", prefix="policy_tls_"),
        workers=positive_int(data, "workers", defaults.workers, "gateway"),
    )
    reject_unknown(data, _GATEWAY_KEYS, "gateway")
    return gateway


def load_policy(data: Mapping[str, Any], environ: Mapping[str, str]) -> PolicyConfig:
    default_strategy = typed(data, "default_strategy", str, STRICT, "policy")
    if default_strategy not in STRATEGIES:
        raise ConfigError(
            f"policy.default_strategy: {default_strategy!r} is not a strategy; use one of {list(STRATEGIES)}"
        )
    raw_token = typed(data, "token", str, "", "policy")
    policy = PolicyConfig(
        listen=typed(data, "listen", str, PolicyConfig().listen, "policy"),
        default_strategy=default_strategy,
        dedup_window_seconds=duration(data, "dedup_window", "48h", "policy"),
        token=resolve_secret(raw_token, "policy.token", environ) if raw_token else None,
        tls=load_server_tls(data, "policy"),
    )
    reject_unknown(data, {"listen", "default_strategy", "dedup_window", "token", *SERVER_TLS_KEYS}, "policy")
    return policy


def load_store(
    data: Mapping[str, Any], dedup_window_seconds: float, environ: Mapping[str, str] | None = None
) -> StoreConfig:
    backend = typed(data, "backend", str, "sqlite", "store")
    if backend not in ("sqlite", "redis"):
        raise ConfigError(f'store.backend: {backend!r} is not a backend; use "sqlite" (embedded) or "redis"')
    defaults = StoreConfig()
    store = StoreConfig(
        backend=backend,
        path=typed(data, "path", str, defaults.path, "store"),
        # A URL with a password (redis://:PASSWORD@host) is a secret: env:/file: references work.
        redis_url=resolve_secret(
            typed(data, "redis_url", str, defaults.redis_url, "store"), "store.redis_url", environ or {}
        ),
        redis_namespace=typed(data, "redis_namespace", str, defaults.redis_namespace, "store"),
        status_retention_seconds=duration(data, "status_retention", "30d", "store"),
    )
    if store.status_retention_seconds < dedup_window_seconds:
        # A duplicate within the window is told apart from a lost first copy by its status.
        raise ConfigError(
            "store.status_retention: must be at least policy.dedup_window "
            f"({dedup_window_seconds / 3600:g}h): a duplicate is recognised by its first copy's status"
        )
    if not store.redis_namespace or ":" in store.redis_namespace:
        raise ConfigError(
            f"store.redis_namespace: {store.redis_namespace!r} must be a non-empty name without ':'"
            ' (e.g. "signalmesh-staging")'
        )
    reject_unknown(data, {"backend", "path", "redis_url", "redis_namespace", "status_retention"}, "store")
    return store


def load_client(data: Mapping[str, Any]) -> ClientTls | None:
    """``[client]``: how the `signalmesh` commands dial a TLS gateway (``tls_ca``, and
    ``tls_cert``/``tls_key`` when the gateway requires client certificates)."""
    client = load_client_tls(data, "client")
    reject_unknown(data, client_tls_keys(), "client")
    return client


def load_dispatcher(data: Mapping[str, Any]) -> DispatcherConfig:
    defaults = DispatcherConfig()
    dispatcher = DispatcherConfig(
        linger_ms=duration(data, "linger", "20ms", "dispatcher") * 1000,
        poll_interval_ms=duration(data, "poll_interval", "50ms", "dispatcher") * 1000,
        lease_seconds=duration(data, "lease", "30s", "dispatcher"),
        max_attempts=non_negative_int(data, "max_attempts", 0, "dispatcher"),
        retry_horizon_seconds=duration(data, "retry_horizon", "24h", "dispatcher"),
        concurrency=positive_int(data, "concurrency", defaults.concurrency, "dispatcher"),
        breaker_threshold=positive_int(data, "breaker_threshold", defaults.breaker_threshold, "dispatcher"),
        breaker_cooldown_seconds=duration(data, "breaker_cooldown", "30s", "dispatcher"),
        base_backoff_seconds=duration(data, "base_backoff", "500ms", "dispatcher"),
        max_backoff_seconds=duration(data, "max_backoff", "5m", "dispatcher"),
        request_timeout_seconds=duration(data, "request_timeout", "10s", "dispatcher"),
    )
    reject_unknown(data, _DISPATCHER_KEYS, "dispatcher")
    return dispatcher


def load_sandbox(data: Mapping[str, Any]) -> SandboxConfig:
    tokens = data.get("tokens", [SANDBOX_TOKEN])
    if not isinstance(tokens, list) or not all(isinstance(token, str) and token for token in tokens):
        raise ConfigError("sandbox.tokens: must be a list of non-empty strings")
    sandbox = SandboxConfig(
        listen=typed(data, "listen", str, DEFAULT_SANDBOX_LISTEN, "sandbox"), tokens=tuple(tokens)
    )
    reject_unknown(data, {"listen", "tokens"}, "sandbox")
    return sandbox


def load_plugins_allow(data: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``[plugins] allow``: the entry-point names to load (None: every installed plugin)."""
    allow = data.get("allow")
    names = isinstance(allow, list) and all(isinstance(name, str) for name in allow)
    if allow is not None and not names:
        raise ConfigError('plugins.allow: must be a list of entry-point names, e.g. ["meta"]')
    reject_unknown(data, {"allow"}, "plugins")
    return tuple(allow) if allow is not None else None


def load_clients(raw: Any) -> tuple[ApiClient, ...]:
    if not isinstance(raw, list):
        raise ConfigError("clients: must be an array of [[clients]] tables")
    return tuple(_client(position, table) for position, table in enumerate(raw))


def _client(position: int, table: Any) -> ApiClient:
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
    reject_unknown(table, {"name", "key_sha256", "scopes", "destinations", *_CLIENT_LIMIT_KEYS}, key)
    scopes = table.get("scopes", list(SCOPES))
    bad = [scope for scope in scopes if scope not in SCOPES] if isinstance(scopes, list) else [scopes]
    if bad:
        raise ConfigError(f"{key}.scopes: unknown scope(s) {bad}; known: {list(SCOPES)}")
    destinations = table.get("destinations")
    names = isinstance(destinations, list) and all(isinstance(item, str) for item in destinations)
    valid = names and bool(destinations)
    if destinations is not None and not valid:
        raise ConfigError(f'{key}.destinations: a non-empty list of destination names, e.g. ["meta_eu"]')
    return ApiClient(
        name=name,
        key_sha256=digest,
        scopes=tuple(scopes),
        destinations=tuple(destinations) if destinations is not None else None,
        **_client_limits(table, key),
    )


_CLIENT_LIMIT_KEYS = ("events_per_second", "burst", "max_concurrent_streams")


def _client_limits(table: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A client's own fair-sharing limits (absent: the [gateway] client_* defaults)."""
    limits: dict[str, Any] = {}
    for name in ("events_per_second", "burst"):
        if name in table:
            limits[name] = non_negative_number(table, name, 0.0, key)
    if "max_concurrent_streams" in table:
        limits["max_concurrent_streams"] = non_negative_int(table, "max_concurrent_streams", 0, key)
    return limits
