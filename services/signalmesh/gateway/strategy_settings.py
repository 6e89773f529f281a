"""The strategy as operators see and change it through the gateway (Settings > Conversion):
the effective value per scope, where it comes from, and the audit trail.

Policy decides with what the store holds (``policy/shared_strategy.py``); this side writes it
with the calling API client's name, so every change says who made it. ``overview`` is pure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from signalmesh.connector import STRATEGY_NAMES, Destination
from signalmesh.policy.strategy import GLOBAL, StrategySettings, source_of
from signalmesh.store.base import Store, StrategyChange
from signalmesh.v1 import gateway_pb2

# Changes GetStrategy returns with the setting.
AUDIT_SHOWN = 20


def overview(
    configured: StrategySettings,
    stored: Mapping[str, str],
    destinations: Mapping[str, Destination],
    changes: Sequence[StrategyChange],
) -> gateway_pb2.StrategyOverview:
    """The effective setting of every configured destination, each value's source, and the trail."""
    effective = configured.under(stored)
    answer = gateway_pb2.StrategyOverview(
        effective=effective.to_proto(), default_source=source_of(GLOBAL, configured, stored)
    )
    for name in sorted(destinations):
        answer.destinations.add(
            destination=name,
            connector=destinations[name].connector,
            strategy=STRATEGY_NAMES[effective.for_destination(name)],
            source=source_of(name, configured, stored),
        )
    for change in changes:
        record = answer.changes.add(
            destination=change.destination,
            previous=STRATEGY_NAMES.get(change.previous, 0),
            strategy=STRATEGY_NAMES[change.strategy],
            actor=change.actor,
        )
        record.changed_at.FromNanoseconds(int(change.changed_at * 1e9))
    return answer


class StrategyAdmin:
    def __init__(
        self,
        store: Store,
        configured: StrategySettings,
        destinations: Mapping[str, Destination],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._configured = configured
        self._destinations = destinations
        self._clock = clock

    async def overview(self) -> gateway_pb2.StrategyOverview:
        stored = await self._store.strategy_overrides()
        changes = await self._store.strategy_changes(AUDIT_SHOWN)
        return overview(self._configured, stored, self._destinations, changes)

    async def change(self, destination: str, strategy: str, actor: str) -> gateway_pb2.StrategyOverview:
        """Store ``strategy`` for ``destination`` ("" = the global default) as ``actor``'s change."""
        effective = self._configured.under(await self._store.strategy_overrides())
        await self._store.set_strategy(
            destination, strategy, actor, self._clock(), configured=effective.for_scope(destination)
        )
        return await self.overview()
