"""What one batch adds to the history (DESIGN §11), as pure functions over the batch's own data.

The accept pipeline counts what it received, rejected and decided; the dispatcher counts what the
platforms made of it. Both hand the resulting ``HistoryDelta`` to the store in the write they
already do, so keeping history never costs a round trip per event. Buckets are the hour the
mesh *did* something (received, delivered), which is what an hourly alert compares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from signalmesh.connector import STRICT, Connector, Destination, EligibilityRule, MatchQuality, Outcome
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


def routed_modes(
    event: event_pb2.ConversionEvent, destinations: Mapping[str, Destination]
) -> list[tuple[str, str]]:
    """(destination name, mode) per destination the event is counted under: the routed ones,
    or ``UNROUTED`` when none is; test mode when the event or that destination says so."""
    names = [destination.name for destination in route(event, destinations)] or [UNROUTED]
    return [
        (name, mode_of(event.test_mode or (name in destinations and destinations[name].test_mode)))
        for name in names
    ]


def count_checked(
    outcomes: Sequence[EventOutcome], destinations: Mapping[str, Destination], now: float
) -> history.HistoryDelta:
    """Received, rejected by the first rule each rejected event broke, and accepted but stale
    (``event_time.stale``), per routed destination."""
    counts: dict[history.TallyKey, float] = {}
    # Where an event is counted depends only on its own destination list and test flag, so it
    # is worked out once per distinct pair in the batch (nearly always one: every destination).
    modes_by_route: dict[tuple[tuple[str, ...], bool], list[tuple[str, str]]] = {}
    for outcome in outcomes:
        event = outcome.event
        route_key = (tuple(event.destinations), event.test_mode)
        modes = modes_by_route.get(route_key)
        if modes is None:
            modes = modes_by_route[route_key] = routed_modes(event, destinations)
        report = outcome.report
        if not outcome.accepted:
            fate = history.REJECTED + report.violations[0].reason
        elif report.warnings and any(item.reason == STALE_WARNING for item in report.warnings):
            fate = history.STALE
        else:
            fate = ""
        event_name = event.event_name
        for name, mode in modes:
            history.tally(counts, (name, event_name, mode, history.RECEIVED))
            if fate:
                history.tally(counts, (name, event_name, mode, fate))
    delta = history.HistoryDelta()
    delta.add_tally(now, counts)
    return delta


def count_decided(
    prepared_events: Sequence[event_pb2.PreparedEvent],
    decisions: Sequence[policy_pb2.DecisionOutput],
    qualities: Sequence[MatchQuality],
    now: float,
) -> history.HistoryDelta:
    """SEND, SKIP by reason, and the match quality of what is sent (the three sequences align)."""
    counts: dict[history.TallyKey, float] = {}
    skipped: dict[int, str] = {}  # each reason's counter, named once per batch
    for prepared, decision, quality in zip(prepared_events, decisions, qualities, strict=True):
        bucket = (prepared.destination, prepared.event_name, mode_of(prepared.test_mode))
        if decision.decision == policy_pb2.DECISION_SEND:
            history.tally(counts, (*bucket, history.DECIDED_SEND))
            history.tally(counts, (*bucket, history.MATCH_QUALITY_SUM), quality.score)
            history.tally(counts, (*bucket, history.MATCH_QUALITY_COUNT))
        else:
            reason = decision.reason
            counter = skipped.get(reason)
            if counter is None:
                counter = skipped[reason] = history.SKIPPED + reason_name(reason)
            history.tally(counts, (*bucket, counter))
    delta = history.HistoryDelta()
    delta.add_tally(now, counts)
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
    return _satisfies(connector.eligibility.get(STRICT), tuple(prepared.identifiers))


def _satisfies(rule: EligibilityRule | None, identifiers: tuple[str, ...]) -> bool:
    return rule is None or rule.is_satisfied_by(frozenset(identifiers))


def count_completed(
    answered: Sequence[tuple[DeliveryResult, Outcome, event_pb2.PreparedEvent]],
    connector: Connector,
    now: float,
) -> tuple[history.HistoryDelta, list[DeliveryRecord]]:
    """What the platform made of each answered entry: counters, and a delivery record for each
    accepted event (the server layer of reconciliation)."""
    counts: dict[history.TallyKey, float] = {}
    deliveries: list[DeliveryRecord] = []
    strict = connector.eligibility.get(STRICT)
    # ``has_click_id`` per distinct set of identifier *names* (never values) in the batch.
    clicked_by_identifiers: dict[tuple[str, ...], bool] = {}
    for result, outcome, prepared in answered:
        state = result.state
        mode = mode_of(prepared.test_mode)
        bucket = (prepared.destination, prepared.event_name, mode)
        if state == gateway_pb2.DELIVERY_STATE_DELIVERED:
            stamp = prepared.event_time
            event_time = stamp.seconds + stamp.nanos / 1e9
            # A slice copies a repeated field in one step, faster than iterating it.
            identifiers = tuple(prepared.identifiers[:])
            clicked = clicked_by_identifiers.get(identifiers)
            if clicked is None:
                clicked = clicked_by_identifiers[identifiers] = _satisfies(strict, identifiers)
            history.tally(counts, (*bucket, history.DELIVERED))
            history.tally(counts, (*bucket, history.latency_counter(now - event_time)))
            if not clicked:
                history.tally(counts, (*bucket, history.DELIVERED_NO_CLICK_ID))
            value, currency = prepared.value, prepared.currency
            if value and currency:
                history.tally(counts, (*bucket, history.VALUE + currency), float(value))
            deliveries.append(
                DeliveryRecord(
                    event_id=prepared.event_id,
                    destination=bucket[0],
                    event_name=bucket[1],
                    event_time=event_time,
                    delivered_at=now,
                    value=value,
                    currency=currency,
                    has_click_id=clicked,
                    mode=mode,
                )
            )
        elif state == gateway_pb2.DELIVERY_STATE_REJECTED:
            history.tally(counts, (*bucket, history.REFUSED + refusal_reason(outcome)))
        elif state == gateway_pb2.DELIVERY_STATE_RETRYING:
            history.tally(counts, (*bucket, history.RETRIED + retry_reason(outcome)))
        elif state == gateway_pb2.DELIVERY_STATE_DEAD_LETTERED:
            reason = dead_letter_reason(result.platform_response)
            history.tally(counts, (*bucket, history.DEAD_LETTERED + reason))
    delta = history.HistoryDelta()
    delta.add_tally(now, counts)
    return delta, deliveries
