"""Which strategy applies to a destination: its own setting, else the global default — where
each scope's value is the store's (changed at run time) over signalmesh.toml's. Pure.

A destination's own setting beats the global default whatever its source, so pinning one
destination in the file is not undone by a later change of the global default; a run-time
change of that destination (``signalmesh strategy set --destination``) is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import grpc

from signalmesh.connector import STRATEGY_NAMES
from signalmesh.v1 import policy_pb2

if TYPE_CHECKING:
    from signalmesh.config import Config

STRATEGY_BY_ENUM = {value: name for name, value in STRATEGY_NAMES.items()}
# The store's scope for the global default.
GLOBAL = ""
FROM_STORE = "store"
FROM_FILE = "signalmesh.toml"
FROM_DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class StrategySettings:
    default: str
    overrides: Mapping[str, str] = field(default_factory=dict)

    def for_destination(self, destination: str) -> str:
        return self.overrides.get(destination, self.default)

    def for_scope(self, scope: str) -> str:
        """What applies to ``scope``: the global default ("") or a destination."""
        return self.default if scope == GLOBAL else self.for_destination(scope)

    def under(self, stored: Mapping[str, str]) -> StrategySettings:
        """These (the file's) settings with the store's values laid over them, scope by scope."""
        return StrategySettings(
            default=stored.get(GLOBAL, self.default),
            overrides={**self.overrides, **{scope: value for scope, value in stored.items() if scope}},
        )

    def to_proto(self) -> policy_pb2.StrategySettings:
        return policy_pb2.StrategySettings(
            default_strategy=STRATEGY_NAMES[self.default],
            destination_overrides={name: STRATEGY_NAMES[value] for name, value in self.overrides.items()},
        )


def source_of(scope: str, configured: StrategySettings, stored: Mapping[str, str]) -> str:
    """Where the value that applies to ``scope`` comes from: the store, the file, or (for a
    destination with no setting of its own) the global default."""
    if scope in stored:
        return FROM_STORE
    if scope == GLOBAL or scope in configured.overrides:
        return FROM_FILE
    return FROM_DEFAULT


def configured_strategies(config: Config) -> StrategySettings:
    """The strategy signalmesh.toml sets: the global default and each destination's own."""
    return StrategySettings(
        default=config.policy.default_strategy,
        overrides={name: dest.strategy for name, dest in config.destinations.items() if dest.strategy},
    )


async def requested_strategy(
    request: policy_pb2.UpdateStrategyRequest,
    destinations: Collection[str],
    context: grpc.aio.ServicerContext,
) -> str:
    """The strategy an UpdateStrategy call asks for, or the call aborted with the field at fault
    (Gateway's and Policy's UpdateStrategy share this check)."""
    strategy = STRATEGY_BY_ENUM.get(request.strategy)
    if strategy is None:
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, "strategy: choose STRATEGY_STRICT or STRATEGY_SEND_ALL"
        )
        raise AssertionError("unreachable: abort() raises")  # grpc's stubs do not say so
    if request.destination and request.destination not in destinations:
        await context.abort(
            grpc.StatusCode.NOT_FOUND,
            f"destination: no destination named {request.destination!r}; configured: {sorted(destinations)}",
        )
    return strategy
