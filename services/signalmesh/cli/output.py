"""The terminal the CLI writes to: one console for results, one for errors, and the names a
person reads instead of protobuf enum values."""

from __future__ import annotations

import sys

from rich.console import Console

from signalmesh.v1 import gateway_pb2, policy_pb2

# Piped output (CI logs, `make demo | tee`) gets a wide table rather than rich's 80-column default.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, highlight=False)


def reason_name(reason: int) -> str:
    return policy_pb2.Reason.Name(reason).removeprefix("REASON_").lower()


def decision_name(decision: int) -> str:
    return policy_pb2.Decision.Name(decision).removeprefix("DECISION_")


def state_name(state: int) -> str:
    return gateway_pb2.DeliveryState.Name(state).removeprefix("DELIVERY_STATE_").lower()
