"""The accept step, kept pure: a checked event, its prepared forms and policy's decisions in;
the outbox entries and statuses to write in one transaction out.

The I/O around it (the policy call, the store write, spans, metrics) is the accept pipeline's
(``accept_pipeline.py``); everything here is a plain function over plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from signalmesh.connector import Connector, Destination, MatchQuality
from signalmesh.gateway import free_text_pii as free_text
from signalmesh.gateway.identifiers import without_identifiers
from signalmesh.gateway.tracking_plan import TrackingRule
from signalmesh.gateway.validate import Report, validate_event
from signalmesh.monitoring.quality_bands import WARN_BELOW, target_text
from signalmesh.store.base import NewEntry, StatusRecord
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

# (event id, destination, event name): one event at one destination, as the dedup ledger and the
# status table key it (one id may name a Purchase and its AddPaymentInfo).
EventKey = tuple[str, str, str]


def key_of(prepared: event_pb2.PreparedEvent) -> EventKey:
    return (prepared.event_id, prepared.destination, prepared.event_name)


@dataclass(slots=True)
class EventOutcome:
    """What the gateway did with one event of a batch."""

    event: event_pb2.ConversionEvent
    report: Report
    prepared: list[event_pb2.PreparedEvent] = field(default_factory=list)
    decisions: list[policy_pb2.DecisionOutput] = field(default_factory=list)
    # The match quality of each of ``prepared``, in order.
    qualities: list[MatchQuality] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.report.ok


class TraceStamp(NamedTuple):
    """Where one (event, destination) decision sits in its trace: stored with the entry and status.

    A named tuple, not a frozen dataclass: one is made per decision, and a frozen dataclass
    pays an ``object.__setattr__`` per field to be built."""

    traceparent: str
    trace_id: str


@dataclass(slots=True)
class Acceptance:
    """One batch's write: an outbox entry per SEND, a status per decision (duplicates excepted)."""

    entries: list[NewEntry] = field(default_factory=list)
    statuses: list[StatusRecord] = field(default_factory=list)

    @property
    def destinations(self) -> set[str]:
        """The destinations that got new entries (their dispatch workers are woken)."""
        return {entry.destination for entry in self.entries}

    @property
    def enqueued(self) -> set[EventKey]:
        return {(entry.event_id, entry.destination, entry.event_name) for entry in self.entries}


def check_event(
    event: event_pb2.ConversionEvent,
    now: float,
    destinations: Mapping[str, Destination],
    tracking_plan: Mapping[str, TrackingRule],
    new_event_id: Callable[[], str] | None = None,
    connectors: Sequence[Connector] = (),
    stale_after_seconds: float | None = None,
    free_text_pii: str = free_text.STRIP,
) -> EventOutcome:
    """Validate ``event`` (by the core's rules and each of ``connectors``' own); with
    ``new_event_id``, an event sent without an id gets one, and a warning. An accepted event
    goes on without the optional identifiers validation found unusable (``Report.dropped``):
    no connector ever sees them, so none sends them half-right."""
    generated = False
    if not event.event_id and new_event_id is not None:
        generated = True
        with_id = event_pb2.ConversionEvent()
        with_id.CopyFrom(event)
        with_id.event_id = new_event_id()
        event = with_id
    report = validate_event(event, now, destinations, tracking_plan, connectors, stale_after_seconds)
    if generated:
        report.warn(
            "event_id",
            "event_id.generated",
            f"no event_id was sent, so {event.event_id} was generated: "
            "the browser pixel cannot share it, "
            "and platforms cannot deduplicate browser and server events",
        )
    scan = free_text.scan_event(event, free_text_pii)
    for finding in scan.refused:
        report.error(finding.field, free_text.REASON, finding.description)
    for finding in scan.stripped:
        report.warn(finding.field, free_text.REASON, finding.description)
    if report.ok:
        event = without_identifiers(event, report.dropped)
        if scan.event_source_url is not None:
            event = _with_page_url(event, scan.event_source_url)
    return EventOutcome(event, report)


def _with_page_url(event: event_pb2.ConversionEvent, url: str) -> event_pb2.ConversionEvent:
    """A copy of ``event`` with ``event_source_url`` replaced (the client's message stays as sent)."""
    cleaned = event_pb2.ConversionEvent()
    cleaned.CopyFrom(event)
    cleaned.event_source_url = url
    return cleaned


def warn_low_match_quality(
    outcome: EventOutcome, qualities: Sequence[MatchQuality], warn_below: float = WARN_BELOW
) -> None:
    """Accepted, but reported: a platform will match few people with this little data.

    ``qualities`` holds each of ``outcome.prepared``'s match quality, in order; a score below
    ``warn_below`` (``[quality] warn_below``, the practice's 6.0) warns.
    """
    for prepared, quality in zip(outcome.prepared, qualities, strict=True):
        if quality.score < warn_below:
            advice = f"; add {', '.join(quality.missing[:3])}" if quality.missing else ""
            outcome.report.warn(
                "user_data",
                "match_quality.low",
                f"{prepared.destination}: match quality {quality.score:.1f}/10 is below "
                f"{warn_below:.1f} ({target_text()}){advice}",
            )


def accept(
    prepared_events: Sequence[event_pb2.PreparedEvent],
    decisions: Sequence[policy_pb2.DecisionOutput],
    stamps: Sequence[TraceStamp],
    now: float,
    qualities: Sequence[MatchQuality] | None = None,
) -> Acceptance:
    """The outbox entries and statuses for one batch's decisions (all sequences align).

    Each status keeps its event's match quality (``qualities``; without them, 0 = unknown) so
    `signalmesh status` can place the score in the practice's bands long after the accept.
    A DUPLICATE writes nothing: the first copy's status (and delivery outcome) stands.
    """
    entries: list[NewEntry] = []
    statuses: list[StatusRecord] = []
    scores = [quality.score for quality in qualities] if qualities is not None else [0.0] * len(decisions)
    for prepared, decision, stamp, score in zip(prepared_events, decisions, stamps, scores, strict=True):
        reason = decision.reason
        if reason == policy_pb2.REASON_DUPLICATE:
            continue
        # Each field read once: a protobuf attribute is a lookup.
        event_id, destination, event_name = prepared.event_id, prepared.destination, prepared.event_name
        verdict = decision.decision
        send = verdict == policy_pb2.DECISION_SEND
        if send:
            entries.append(
                NewEntry(
                    destination=destination,
                    event_id=event_id,
                    event_name=event_name,
                    prepared=prepared.SerializeToString(),
                    traceparent=stamp.traceparent,
                )
            )
        statuses.append(
            StatusRecord(
                event_id=event_id,
                destination=destination,
                event_name=event_name,
                decision=verdict,
                reason=reason,
                detail=decision.detail,
                state=_PENDING if send else _SKIPPED,
                trace_id=stamp.trace_id,
                updated_at=now,
                match_quality=score,
            )
        )
    return Acceptance(entries, statuses)


_PENDING = gateway_pb2.DELIVERY_STATE_PENDING
_SKIPPED = gateway_pb2.DELIVERY_STATE_SKIPPED
