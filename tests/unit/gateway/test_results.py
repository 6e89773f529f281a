"""An outcome as the wire's EventResult: written in place, the same message as built whole."""

from __future__ import annotations

from signalmesh.gateway.accept import EventOutcome
from signalmesh.gateway.servicer import to_result, write_result
from signalmesh.gateway.validate import Report
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2


def outcome(*, refused: bool = False, warned: bool = False) -> EventOutcome:
    report = Report()
    if refused:
        report.error("event_name", "event_name.missing", "send an event_name")
        report.error("event_time", "event_time.missing", "send an event_time")
    if warned:
        report.warn("user_data", "match_quality.low", "meta: match quality 2.5/10")
    result = EventOutcome(event_pb2.ConversionEvent(event_id="order-1"), report)
    if not refused:
        result.decisions = [
            policy_pb2.DecisionOutput(
                event_id="order-1",
                destination="meta",
                decision=policy_pb2.DECISION_SEND,
                reason=policy_pb2.REASON_ELIGIBLE,
                detail="eligible",
            ),
            policy_pb2.DecisionOutput(
                event_id="order-1", destination="tiktok", decision=policy_pb2.DECISION_SKIP, reason=3
            ),
        ]
    return result


def built_whole(item: EventOutcome, index: int, trace_id: str) -> gateway_pb2.EventResult:
    """The result as one constructor call builds it (what the servicer answered before)."""

    def violations(items: list) -> list[gateway_pb2.FieldViolation]:
        return [
            gateway_pb2.FieldViolation(field=v.field, description=v.description, reason=v.reason)
            for v in items
        ]

    return gateway_pb2.EventResult(
        event_id=item.event.event_id,
        index=index,
        trace_id=trace_id,
        disposition=gateway_pb2.DISPOSITION_ACCEPTED if item.accepted else gateway_pb2.DISPOSITION_REJECTED,
        violations=violations(item.report.violations),
        warnings=violations(item.report.warnings),
        decisions=[
            gateway_pb2.DestinationDecision(
                destination=d.destination, decision=d.decision, reason=d.reason, detail=d.detail
            )
            for d in item.decisions
        ],
    )


def test_every_kind_of_outcome_reads_as_it_was_built_whole():
    outcomes = [outcome(), outcome(warned=True), outcome(refused=True), outcome(refused=True, warned=True)]
    response = gateway_pb2.SendEventsResponse()
    for index, item in enumerate(outcomes):
        write_result(response.results.add(), item, index, f"{index:032x}")
    expected = [built_whole(item, index, f"{index:032x}") for index, item in enumerate(outcomes)]
    assert list(response.results) == expected
    assert [to_result(item, index, f"{index:032x}") for index, item in enumerate(outcomes)] == expected
    refused = response.results[2]
    assert refused.disposition == gateway_pb2.DISPOSITION_REJECTED
    assert [item.reason for item in refused.violations] == ["event_name.missing", "event_time.missing"]
    assert [item.destination for item in response.results[0].decisions] == ["meta", "tiktok"]
    assert to_result(outcome(), 0) == built_whole(outcome(), 0, "")
