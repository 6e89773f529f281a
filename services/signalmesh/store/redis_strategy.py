"""The Redis side of the shared strategy setting: one hash of scope → strategy, and a list of
changes (newest first). A change is one Lua script, so reading the previous value, writing
the new one and appending the record cannot interleave with another replica's change."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from signalmesh.store import redis_scripts
from signalmesh.store.base import StrategyChange
from signalmesh.store.redis_layout import Keys, text


class RedisStrategy:
    """The strategy methods of ``RedisStore`` (which sets up the client and key layout)."""

    _redis: aioredis.Redis
    _keys: Keys

    def _register_strategy_scripts(self) -> None:
        self._set_strategy_script = self._redis.register_script(redis_scripts.SET_STRATEGY)

    async def strategy_overrides(self) -> dict[str, str]:
        stored = await self._redis.hgetall(self._keys.strategy())
        return {text(scope): text(strategy) for scope, strategy in stored.items()}

    async def set_strategy(
        self, destination: str, strategy: str, actor: str, now: float, configured: str
    ) -> StrategyChange:
        previous = await self._set_strategy_script(
            keys=[self._keys.strategy(), self._keys.strategy_changes()],
            args=[destination, strategy, configured, actor, repr(now)],
        )
        return StrategyChange(destination, text(previous), strategy, actor, now)

    async def strategy_changes(self, limit: int = 50) -> list[StrategyChange]:
        if limit <= 0:
            return []
        raw = await self._redis.lrange(self._keys.strategy_changes(), 0, limit - 1)
        return [_change(json.loads(item)) for item in raw]


def _change(fields: dict[str, str]) -> StrategyChange:
    return StrategyChange(
        destination=str(fields["destination"]),
        previous=str(fields["previous"]),
        strategy=str(fields["strategy"]),
        actor=str(fields["actor"]),
        changed_at=float(fields["changed_at"]),
    )
