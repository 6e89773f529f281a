"""Dedup keys: the same (destination, event_name, event_id) is sent once per window.

Test events live in their own key space, so a test send never claims the production key.
"""

from __future__ import annotations

from signalmesh.v1 import policy_pb2


def dedup_key(item: policy_pb2.DecisionInput) -> str:
    space = "test" if item.test_mode else "live"
    # Unit separators cannot appear in validated names or ids, so keys never collide.
    return "\x1f".join((space, item.destination, item.event_name, item.event_id))
