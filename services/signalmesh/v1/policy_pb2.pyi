import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from signalmesh.v1 import event_pb2 as _event_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Strategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STRATEGY_UNSPECIFIED: _ClassVar[Strategy]
    STRATEGY_STRICT: _ClassVar[Strategy]
    STRATEGY_SEND_ALL: _ClassVar[Strategy]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_SEND: _ClassVar[Decision]
    DECISION_SKIP: _ClassVar[Decision]

class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_UNSPECIFIED: _ClassVar[Reason]
    REASON_ELIGIBLE: _ClassVar[Reason]
    REASON_DUPLICATE: _ClassVar[Reason]
    REASON_MISSING_CLICK_ID: _ClassVar[Reason]
    REASON_INSUFFICIENT_USER_DATA: _ClassVar[Reason]
    REASON_MISSING_REQUIRED_FIELD: _ClassVar[Reason]
    REASON_TOO_OLD: _ClassVar[Reason]
    REASON_CONSENT_DENIED: _ClassVar[Reason]
    REASON_UNKNOWN_DESTINATION: _ClassVar[Reason]
    REASON_IN_FUTURE: _ClassVar[Reason]
    REASON_NO_TEST_CHANNEL: _ClassVar[Reason]
    REASON_ROLLOUT: _ClassVar[Reason]
STRATEGY_UNSPECIFIED: Strategy
STRATEGY_STRICT: Strategy
STRATEGY_SEND_ALL: Strategy
DECISION_UNSPECIFIED: Decision
DECISION_SEND: Decision
DECISION_SKIP: Decision
REASON_UNSPECIFIED: Reason
REASON_ELIGIBLE: Reason
REASON_DUPLICATE: Reason
REASON_MISSING_CLICK_ID: Reason
REASON_INSUFFICIENT_USER_DATA: Reason
REASON_MISSING_REQUIRED_FIELD: Reason
REASON_TOO_OLD: Reason
REASON_CONSENT_DENIED: Reason
REASON_UNKNOWN_DESTINATION: Reason
REASON_IN_FUTURE: Reason
REASON_NO_TEST_CHANNEL: Reason
REASON_ROLLOUT: Reason

class DecisionInput(_message.Message):
    __slots__ = ("event_id", "event_name", "destination", "connector", "event_time", "action_source", "identifiers", "test_mode", "consent")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTION_SOURCE_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    TEST_MODE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_name: str
    destination: str
    connector: str
    event_time: _timestamp_pb2.Timestamp
    action_source: _event_pb2.ActionSource
    identifiers: _containers.RepeatedScalarFieldContainer[str]
    test_mode: bool
    consent: _event_pb2.Consent
    def __init__(self, event_id: _Optional[str] = ..., event_name: _Optional[str] = ..., destination: _Optional[str] = ..., connector: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action_source: _Optional[_Union[_event_pb2.ActionSource, str]] = ..., identifiers: _Optional[_Iterable[str]] = ..., test_mode: _Optional[bool] = ..., consent: _Optional[_Union[_event_pb2.Consent, _Mapping]] = ...) -> None: ...

class DecideRequest(_message.Message):
    __slots__ = ("items", "dry_run")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[DecisionInput]
    dry_run: bool
    def __init__(self, items: _Optional[_Iterable[_Union[DecisionInput, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class DecisionOutput(_message.Message):
    __slots__ = ("event_id", "destination", "decision", "reason", "detail", "strategy")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    destination: str
    decision: Decision
    reason: Reason
    detail: str
    strategy: Strategy
    def __init__(self, event_id: _Optional[str] = ..., destination: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[_Union[Reason, str]] = ..., detail: _Optional[str] = ..., strategy: _Optional[_Union[Strategy, str]] = ...) -> None: ...

class DecideResponse(_message.Message):
    __slots__ = ("decisions",)
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[DecisionOutput]
    def __init__(self, decisions: _Optional[_Iterable[_Union[DecisionOutput, _Mapping]]] = ...) -> None: ...

class GetStrategyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StrategySettings(_message.Message):
    __slots__ = ("default_strategy", "destination_overrides")
    class DestinationOverridesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Strategy
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Strategy, str]] = ...) -> None: ...
    DEFAULT_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    default_strategy: Strategy
    destination_overrides: _containers.ScalarMap[str, Strategy]
    def __init__(self, default_strategy: _Optional[_Union[Strategy, str]] = ..., destination_overrides: _Optional[_Mapping[str, Strategy]] = ...) -> None: ...

class UpdateStrategyRequest(_message.Message):
    __slots__ = ("destination", "strategy")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    destination: str
    strategy: Strategy
    def __init__(self, destination: _Optional[str] = ..., strategy: _Optional[_Union[Strategy, str]] = ...) -> None: ...
