"""The audit trail: one ``audit`` log line per admin action, naming who did what to what.

Admin-scoped RPCs (replay, strategy change, dead-letter listing...) are audited by the auth
interceptor after the call ends; ``signalmesh keys`` audits key changes. A line carries
``client`` (the API client, or ``cli:<user>`` for a local command), ``action``, ``target`` and
``outcome`` (the gRPC status name, or ``OK``). Never a request body: only the fields that say
what was acted on, as :func:`audit_target` picks them.
"""

from __future__ import annotations

from typing import Any

import structlog

_log = structlog.get_logger("signalmesh.audit")
# Request fields that name what an admin action acts on, in the order they are shown.
_TARGET_FIELDS = ("destination", "client", "key_id", "strategy", "all", "entry_ids")
_MAX_IDS_SHOWN = 5


def audit(client: str, action: str, target: str, outcome: str = "OK", **fields: Any) -> None:
    """Write the audit line of one admin action."""
    _log.info("audit", client=client, action=action, target=target, outcome=outcome, **fields)


def audit_target(request: Any) -> str:
    """What an admin request acts on (``destination=meta all=True``), or ``*`` (everything)."""
    descriptor = getattr(request, "DESCRIPTOR", None)
    if descriptor is None:
        return "*"
    parts = []
    for name in _TARGET_FIELDS:
        field = descriptor.fields_by_name.get(name)
        if field is None:
            continue
        value = getattr(request, name)
        if not isinstance(value, str | bytes | int | float):  # a repeated field
            if value:
                shown = ",".join(str(item) for item in list(value)[:_MAX_IDS_SHOWN])
                more = f"+{len(value) - _MAX_IDS_SHOWN}" if len(value) > _MAX_IDS_SHOWN else ""
                parts.append(f"{name}={shown}{more}")
        elif field.enum_type is not None:
            if value:
                parts.append(f"{name}={field.enum_type.values_by_number[value].name}")
        elif value:
            parts.append(f"{name}={value!s}")
    return " ".join(parts) or "*"
