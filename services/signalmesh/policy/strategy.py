"""Which strategy applies to a destination: the global default, unless the destination overrides it.

Run-time updates (UpdateStrategy) live in this process's memory on top of signalmesh.toml;
a restart returns to the file, which stays the source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from signalmesh.connector import STRATEGY_NAMES
from signalmesh.v1 import policy_pb2

STRATEGY_BY_ENUM = {value: name for name, value in STRATEGY_NAMES.items()}


@dataclass(frozen=True, slots=True)
class StrategySettings:
    default: str
    overrides: Mapping[str, str] = field(default_factory=dict)

    def for_destination(self, destination: str) -> str:
        return self.overrides.get(destination, self.default)

    def updated(self, destination: str, strategy: str) -> StrategySettings:
        """A copy with ``strategy`` set globally (empty destination) or for one destination."""
        if not destination:
            return replace(self, default=strategy)
        return replace(self, overrides={**self.overrides, destination: strategy})

    def to_proto(self) -> policy_pb2.StrategySettings:
        return policy_pb2.StrategySettings(
            default_strategy=STRATEGY_NAMES[self.default],
            destination_overrides={name: STRATEGY_NAMES[value] for name, value in self.overrides.items()},
        )
