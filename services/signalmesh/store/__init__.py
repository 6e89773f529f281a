"""State behind one interface: ``open_store`` picks the backend the configuration names.

Services depend on ``Store`` only; SQLite (embedded default) and Redis (scale-out) pass one
shared contract suite, so choosing between them is configuration, not code.
"""

from __future__ import annotations

from signalmesh.config import Config
from signalmesh.store.base import (
    FINAL_STATES,
    AlertRecord,
    DeliveryPayload,
    DeliveryRecord,
    DeliveryResult,
    NewEntry,
    Observation,
    OutboxEntry,
    PayloadRecord,
    StatusRecord,
    Store,
    StrategyChange,
)
from signalmesh.store.redis import RedisStore
from signalmesh.store.sqlite import SqliteStore

__all__ = [
    "FINAL_STATES",
    "AlertRecord",
    "DeliveryPayload",
    "DeliveryRecord",
    "DeliveryResult",
    "NewEntry",
    "Observation",
    "OutboxEntry",
    "PayloadRecord",
    "RedisStore",
    "SqliteStore",
    "StatusRecord",
    "Store",
    "StrategyChange",
    "open_store",
]


def open_store(config: Config) -> Store:
    """The configured backend: ``store.backend = "sqlite"`` (at ``config.sqlite_path``) or ``"redis"``."""
    if config.store.backend == "sqlite":
        return SqliteStore(config.sqlite_path)
    if config.store.backend == "redis":
        return RedisStore(
            config.store.redis_url,
            namespace=config.store.redis_namespace,
            status_ttl_seconds=config.store.status_retention_seconds,
        )
    # config.py validates the name; reaching here is a bug, not bad input.
    raise ValueError(f"store.backend: unknown backend {config.store.backend!r}")
