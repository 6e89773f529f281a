import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from signalmesh.v1 import event_pb2 as _event_pb2
from signalmesh.v1 import policy_pb2 as _policy_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Disposition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSITION_UNSPECIFIED: _ClassVar[Disposition]
    DISPOSITION_ACCEPTED: _ClassVar[Disposition]
    DISPOSITION_REJECTED: _ClassVar[Disposition]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_SKIPPED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_RETRYING: _ClassVar[DeliveryState]
    DELIVERY_STATE_DELIVERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_REJECTED: _ClassVar[DeliveryState]
    DELIVERY_STATE_DEAD_LETTERED: _ClassVar[DeliveryState]
DISPOSITION_UNSPECIFIED: Disposition
DISPOSITION_ACCEPTED: Disposition
DISPOSITION_REJECTED: Disposition
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_SKIPPED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_RETRYING: DeliveryState
DELIVERY_STATE_DELIVERED: DeliveryState
DELIVERY_STATE_REJECTED: DeliveryState
DELIVERY_STATE_DEAD_LETTERED: DeliveryState

class FieldViolation(_message.Message):
    __slots__ = ("field", "description", "reason")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    reason: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DestinationDecision(_message.Message):
    __slots__ = ("destination", "decision", "reason", "detail")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    destination: str
    decision: _policy_pb2.Decision
    reason: _policy_pb2.Reason
    detail: str
    def __init__(self, destination: _Optional[str] = ..., decision: _Optional[_Union[_policy_pb2.Decision, str]] = ..., reason: _Optional[_Union[_policy_pb2.Reason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class EventResult(_message.Message):
    __slots__ = ("event_id", "index", "disposition", "violations", "warnings", "decisions", "trace_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    index: int
    disposition: Disposition
    violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    warnings: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    decisions: _containers.RepeatedCompositeFieldContainer[DestinationDecision]
    trace_id: str
    def __init__(self, event_id: _Optional[str] = ..., index: _Optional[int] = ..., disposition: _Optional[_Union[Disposition, str]] = ..., violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ..., decisions: _Optional[_Iterable[_Union[DestinationDecision, _Mapping]]] = ..., trace_id: _Optional[str] = ...) -> None: ...

class SendEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.ConversionEvent
    def __init__(self, event: _Optional[_Union[_event_pb2.ConversionEvent, _Mapping]] = ...) -> None: ...

class SendEventResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: EventResult
    def __init__(self, result: _Optional[_Union[EventResult, _Mapping]] = ...) -> None: ...

class SendEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.ConversionEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[_event_pb2.ConversionEvent, _Mapping]]] = ...) -> None: ...

class SendEventsResponse(_message.Message):
    __slots__ = ("results", "accepted", "rejected")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[EventResult]
    accepted: int
    rejected: int
    def __init__(self, results: _Optional[_Iterable[_Union[EventResult, _Mapping]]] = ..., accepted: _Optional[int] = ..., rejected: _Optional[int] = ...) -> None: ...

class CheckEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.ConversionEvent
    def __init__(self, event: _Optional[_Union[_event_pb2.ConversionEvent, _Mapping]] = ...) -> None: ...

class DestinationPreview(_message.Message):
    __slots__ = ("destination", "connector", "decision", "reason", "detail", "payload_json", "url", "match_quality", "advice")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    MATCH_QUALITY_FIELD_NUMBER: _ClassVar[int]
    ADVICE_FIELD_NUMBER: _ClassVar[int]
    destination: str
    connector: str
    decision: _policy_pb2.Decision
    reason: _policy_pb2.Reason
    detail: str
    payload_json: str
    url: str
    match_quality: float
    advice: _containers.RepeatedCompositeFieldContainer[MatchAdvice]
    def __init__(self, destination: _Optional[str] = ..., connector: _Optional[str] = ..., decision: _Optional[_Union[_policy_pb2.Decision, str]] = ..., reason: _Optional[_Union[_policy_pb2.Reason, str]] = ..., detail: _Optional[str] = ..., payload_json: _Optional[str] = ..., url: _Optional[str] = ..., match_quality: _Optional[float] = ..., advice: _Optional[_Iterable[_Union[MatchAdvice, _Mapping]]] = ...) -> None: ...

class MatchAdvice(_message.Message):
    __slots__ = ("identifier", "score_with", "text")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    SCORE_WITH_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    score_with: float
    text: str
    def __init__(self, identifier: _Optional[str] = ..., score_with: _Optional[float] = ..., text: _Optional[str] = ...) -> None: ...

class CheckEventResponse(_message.Message):
    __slots__ = ("result", "previews")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PREVIEWS_FIELD_NUMBER: _ClassVar[int]
    result: EventResult
    previews: _containers.RepeatedCompositeFieldContainer[DestinationPreview]
    def __init__(self, result: _Optional[_Union[EventResult, _Mapping]] = ..., previews: _Optional[_Iterable[_Union[DestinationPreview, _Mapping]]] = ...) -> None: ...

class GetEventStatusRequest(_message.Message):
    __slots__ = ("event_id", "include_payload")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    include_payload: bool
    def __init__(self, event_id: _Optional[str] = ..., include_payload: _Optional[bool] = ...) -> None: ...

class DestinationStatus(_message.Message):
    __slots__ = ("destination", "event_name", "decision", "reason", "detail", "state", "attempts", "platform_response", "trace_id", "updated_at", "payload", "match_quality")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    EVENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    MATCH_QUALITY_FIELD_NUMBER: _ClassVar[int]
    destination: str
    event_name: str
    decision: _policy_pb2.Decision
    reason: _policy_pb2.Reason
    detail: str
    state: DeliveryState
    attempts: int
    platform_response: str
    trace_id: str
    updated_at: _timestamp_pb2.Timestamp
    payload: DeliveryPayload
    match_quality: float
    def __init__(self, destination: _Optional[str] = ..., event_name: _Optional[str] = ..., decision: _Optional[_Union[_policy_pb2.Decision, str]] = ..., reason: _Optional[_Union[_policy_pb2.Reason, str]] = ..., detail: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., attempts: _Optional[int] = ..., platform_response: _Optional[str] = ..., trace_id: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payload: _Optional[_Union[DeliveryPayload, _Mapping]] = ..., match_quality: _Optional[float] = ...) -> None: ...

class DeliveryPayload(_message.Message):
    __slots__ = ("request_body", "response_body", "response_status", "request_events", "request_index", "recorded_at")
    REQUEST_BODY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BODY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_EVENTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_INDEX_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    request_body: str
    response_body: str
    response_status: int
    request_events: int
    request_index: int
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, request_body: _Optional[str] = ..., response_body: _Optional[str] = ..., response_status: _Optional[int] = ..., request_events: _Optional[int] = ..., request_index: _Optional[int] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetEventStatusResponse(_message.Message):
    __slots__ = ("event_id", "destinations")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATIONS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    destinations: _containers.RepeatedCompositeFieldContainer[DestinationStatus]
    def __init__(self, event_id: _Optional[str] = ..., destinations: _Optional[_Iterable[_Union[DestinationStatus, _Mapping]]] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("destination", "reason_contains", "limit")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    REASON_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    destination: str
    reason_contains: str
    limit: int
    def __init__(self, destination: _Optional[str] = ..., reason_contains: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("entry_id", "event_id", "destination", "event_name", "reason", "attempts", "dead_at", "last_request", "state")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    EVENT_NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DEAD_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_REQUEST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    event_id: str
    destination: str
    event_name: str
    reason: str
    attempts: int
    dead_at: _timestamp_pb2.Timestamp
    last_request: str
    state: DeliveryState
    def __init__(self, entry_id: _Optional[str] = ..., event_id: _Optional[str] = ..., destination: _Optional[str] = ..., event_name: _Optional[str] = ..., reason: _Optional[str] = ..., attempts: _Optional[int] = ..., dead_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_request: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("dead_letters",)
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ...) -> None: ...

class ReplayDeadLettersRequest(_message.Message):
    __slots__ = ("entry_ids", "all", "destination")
    ENTRY_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    entry_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    destination: str
    def __init__(self, entry_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ..., destination: _Optional[str] = ...) -> None: ...

class ReplayDeadLettersResponse(_message.Message):
    __slots__ = ("replayed",)
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    def __init__(self, replayed: _Optional[int] = ...) -> None: ...

class DestinationStrategy(_message.Message):
    __slots__ = ("destination", "connector", "strategy", "source")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    destination: str
    connector: str
    strategy: _policy_pb2.Strategy
    source: str
    def __init__(self, destination: _Optional[str] = ..., connector: _Optional[str] = ..., strategy: _Optional[_Union[_policy_pb2.Strategy, str]] = ..., source: _Optional[str] = ...) -> None: ...

class StrategyChange(_message.Message):
    __slots__ = ("destination", "previous", "strategy", "actor", "changed_at")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    destination: str
    previous: _policy_pb2.Strategy
    strategy: _policy_pb2.Strategy
    actor: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, destination: _Optional[str] = ..., previous: _Optional[_Union[_policy_pb2.Strategy, str]] = ..., strategy: _Optional[_Union[_policy_pb2.Strategy, str]] = ..., actor: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StrategyOverview(_message.Message):
    __slots__ = ("effective", "default_source", "destinations", "changes")
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATIONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    effective: _policy_pb2.StrategySettings
    default_source: str
    destinations: _containers.RepeatedCompositeFieldContainer[DestinationStrategy]
    changes: _containers.RepeatedCompositeFieldContainer[StrategyChange]
    def __init__(self, effective: _Optional[_Union[_policy_pb2.StrategySettings, _Mapping]] = ..., default_source: _Optional[str] = ..., destinations: _Optional[_Iterable[_Union[DestinationStrategy, _Mapping]]] = ..., changes: _Optional[_Iterable[_Union[StrategyChange, _Mapping]]] = ...) -> None: ...
