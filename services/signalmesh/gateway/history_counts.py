"""What one batch adds to the history (DESIGN §11), as pure functions over the batch's own data.

The accept pipeline counts what it received, rejected and decided; the dispatcher counts what the
platforms made of it. Both hand the resulting ``HistoryDelta`` to the store in the write they
already do, so keeping history never costs a round trip per event. Buckets are the hour the
mesh *did* something (received, delivered), which is what an hourly alert compares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from signalmesh.connector import STRICT, Connector, Destination, MatchQuality, Outcome
from signalmesh.gateway.accept import EventOutcome
from signalmesh.gateway.prepare import route
from signalmesh.monitoring import history
from signalmesh.store.base import DeliveryRecord, DeliveryResult
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

# A rejected event whose destinations cannot be told (say, it names none that exist).
UNROUTED = ""
# The validator's warning for an event accepted later than [quality] stale_after.
STALE_WARNING = "event_time.stale"


def mode_of(test_mode: bool) -> str:
    return history.TEST if test_mode else history.LIVE


def reason_name(reason: int) -> str:
    """``REASON_MISSING_CLICK_ID`` → ``missing_click_id``."""
    return policy_pb2.Reason.Name(reason).removeprefix("REASON_").lower()


def count_checked(
    outcomes: Sequence[EventOutcome], destinations: Mapping[str, Destination], now: float
) -> history.HistoryDelta:
    """Received, rejected by the first rule each rejected event broke, and accepted but stale
    (``event_time.stale``), per routed destination."""
    delta = history.HistoryDelta()
    for outcome in outcomes:
        event = outcome.event
        names = [destination.name for destination in route(event, destinations)] or [UNROUTED]
        stale = outcome.accepted and any(item.reason == STALE_WARNING for item in outcome.report.warnings)
        for name in names:
            test = event.test_mode or (name in destinations and destinations[name].test_mode)
            mode = mode_of(test)
            delta.add(now, name, event.event_name, history.RECEIVED, mode=mode)
            if not outcome.accepted:
                rule = outcome.report.violations[0].reason
                delta.add(now, name, event.event_name, history.REJECTED + rule, mode=mode)
            elif stale:
                delta.add(now, name, event.event_name, history.STALE, mode=mode)
    return delta


def count_decided(
    prepared_events: Sequence[event_pb2.PreparedEvent],
    decisions: Sequence[policy_pb2.DecisionOutput],
    qualities: Sequence[MatchQuality],
    now: float,
) -> history.HistoryDelta:
    """SEND, SKIP by reason, and the match quality of what is sent (the three sequences align)."""
    delta = history.HistoryDelta()
    for prepared, decision, quality in zip(prepared_events, decisions, qualities, strict=True):
        mode = mode_of(prepared.test_mode)
        where = (now, prepared.destination, prepared.event_name)
        if decision.decision == policy_pb2.DECISION_SEND:
            delta.add(*where, history.DECIDED_SEND, mode=mode)
            delta.add(*where, history.MATCH_QUALITY_SUM, quality.score, mode=mode)
            delta.add(*where, history.MATCH_QUALITY_COUNT, mode=mode)
        else:
            delta.add(*where, history.SKIPPED + reason_name(decision.reason), mode=mode)
    return delta


def refusal_reason(outcome: Outcome) -> str:
    """A platform refusal's reason as the report groups it: its code, and the field it named."""
    code = outcome.code or "unspecified"
    return f"{code}:{outcome.field}" if outcome.field else code


def retry_reason(outcome: Outcome) -> str:
    """Why a delivery will be retried: ``429``, ``5xx``, ``timeout``, ``connection``, ``paused``."""
    if outcome.credentials:
        return "paused"
    code = outcome.code
    if code == "429":
        return "429"
    if len(code) == 3 and code.startswith("5"):
        return "5xx"
    text = f"{code} {outcome.message}".lower()
    for kind in ("timeout", "connection"):
        if kind in text:
            return kind
    return code or "other"


def dead_letter_reason(platform_response: str) -> str:
    """The dispatcher's give-up reasons (``retry_or_give_up``) as one word each."""
    if platform_response.startswith("expired"):
        return "expired"
    if " h of retries" in platform_response:
        return "retry_horizon"
    if platform_response.startswith("gave up after"):
        return "max_attempts"
    return "other"


def has_click_id(prepared: event_pb2.PreparedEvent, connector: Connector) -> bool:
    """Would strict have sent it? Strict's rule is the connector's notion of what the platform
    can attribute (an ad click id; for Google Ads also enhanced conversions' hashed email or
    phone), so a delivered event failing it is exactly what ``send_all`` adds over ``strict``."""
    rule = connector.eligibility.get(STRICT)
    return rule is None or rule.is_satisfied_by(frozenset(prepared.identifiers))


def count_completed(
    answered: Sequence[tuple[DeliveryResult, Outcome, event_pb2.PreparedEvent]],
    connector: Connector,
    now: float,
) -> tuple[history.HistoryDelta, list[DeliveryRecord]]:
    """What the platform made of each answered entry: counters, and a delivery record for each
    accepted event (the server layer of reconciliation)."""
    delta = history.HistoryDelta()
    deliveries: list[DeliveryRecord] = []
    for result, outcome, prepared in answered:
        mode = mode_of(prepared.test_mode)
        where = (now, prepared.destination, prepared.event_name)
        if result.state == gateway_pb2.DELIVERY_STATE_DELIVERED:
            event_time = prepared.event_time.seconds + prepared.event_time.nanos / 1e9
            clicked = has_click_id(prepared, connector)
            delta.add(*where, history.DELIVERED, mode=mode)
            delta.add(*where, history.latency_counter(now - event_time), mode=mode)
            if not clicked:
                delta.add(*where, history.DELIVERED_NO_CLICK_ID, mode=mode)
            if prepared.value and prepared.currency:
                delta.add(*where, history.VALUE + prepared.currency, float(prepared.value), mode=mode)
            deliveries.append(
                DeliveryRecord(
                    event_id=prepared.event_id,
                    destination=prepared.destination,
                    event_name=prepared.event_name,
                    event_time=event_time,
                    delivered_at=now,
                    value=prepared.value,
                    currency=prepared.currency,
                    has_click_id=clicked,
                    mode=mode,
                )
            )
        elif result.state == gateway_pb2.DELIVERY_STATE_REJECTED:
            delta.add(*where, history.REFUSED + refusal_reason(outcome), mode=mode)
        elif result.state == gateway_pb2.DELIVERY_STATE_RETRYING:
            delta.add(*where, history.RETRIED + retry_reason(outcome), mode=mode)
        elif result.state == gateway_pb2.DELIVERY_STATE_DEAD_LETTERED:
            reason = dead_letter_reason(result.platform_response)
            delta.add(*where, history.DEAD_LETTERED + reason, mode=mode)
    return delta, deliveries
