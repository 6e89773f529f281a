"""Least privilege per destination: a key limited to ``[[clients]] destinations`` sends nowhere else.

Pure. The decision is per call, not per event: the key's limits are a fact about the caller,
not about one event, so a call whose events name any destination outside them is refused
whole (``PERMISSION_DENIED``, nothing accepted) rather than half-accepted; a client that
sees it has a configuration to fix, not an event. An event naming no destinations normally
goes to every configured one; from a limited key it goes to the key's destinations instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from signalmesh.v1 import event_pb2


class OutsideScope(Exception):
    """A call's event names a destination its key may not send to (the message says which)."""


def scoped(
    events: Sequence[event_pb2.ConversionEvent], allowed: Collection[str] | None, first_index: int = 0
) -> list[event_pb2.ConversionEvent]:
    """``events`` as a key limited to ``allowed`` may send them (None: no limit, unchanged).

    Raises :class:`OutsideScope` for the first event that names a destination outside ``allowed``.
    """
    if allowed is None:
        return list(events)
    result = []
    for index, event in enumerate(events, start=first_index):
        outside = [name for name in event.destinations if name not in allowed]
        if outside:
            raise OutsideScope(
                f"events[{index}].destinations: this API key may send only to {sorted(allowed)}, "
                f"not to {sorted(set(outside))}; nothing in this call was accepted"
            )
        if not event.destinations:
            narrowed = event_pb2.ConversionEvent()
            narrowed.CopyFrom(event)
            narrowed.destinations.extend(sorted(allowed))
            event = narrowed
        result.append(event)
    return result
