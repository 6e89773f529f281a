import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActionSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_SOURCE_UNSPECIFIED: _ClassVar[ActionSource]
    ACTION_SOURCE_WEBSITE: _ClassVar[ActionSource]
    ACTION_SOURCE_APP: _ClassVar[ActionSource]
    ACTION_SOURCE_EMAIL: _ClassVar[ActionSource]
    ACTION_SOURCE_PHONE_CALL: _ClassVar[ActionSource]
    ACTION_SOURCE_CHAT: _ClassVar[ActionSource]
    ACTION_SOURCE_PHYSICAL_STORE: _ClassVar[ActionSource]
    ACTION_SOURCE_SYSTEM_GENERATED: _ClassVar[ActionSource]
    ACTION_SOURCE_BUSINESS_MESSAGING: _ClassVar[ActionSource]
    ACTION_SOURCE_OTHER: _ClassVar[ActionSource]

class ConsentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_STATUS_UNSPECIFIED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_GRANTED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_DENIED: _ClassVar[ConsentStatus]
ACTION_SOURCE_UNSPECIFIED: ActionSource
ACTION_SOURCE_WEBSITE: ActionSource
ACTION_SOURCE_APP: ActionSource
ACTION_SOURCE_EMAIL: ActionSource
ACTION_SOURCE_PHONE_CALL: ActionSource
ACTION_SOURCE_CHAT: ActionSource
ACTION_SOURCE_PHYSICAL_STORE: ActionSource
ACTION_SOURCE_SYSTEM_GENERATED: ActionSource
ACTION_SOURCE_BUSINESS_MESSAGING: ActionSource
ACTION_SOURCE_OTHER: ActionSource
CONSENT_STATUS_UNSPECIFIED: ConsentStatus
CONSENT_STATUS_GRANTED: ConsentStatus
CONSENT_STATUS_DENIED: ConsentStatus

class Consent(_message.Message):
    __slots__ = ("ad_user_data", "ad_personalization")
    AD_USER_DATA_FIELD_NUMBER: _ClassVar[int]
    AD_PERSONALIZATION_FIELD_NUMBER: _ClassVar[int]
    ad_user_data: ConsentStatus
    ad_personalization: ConsentStatus
    def __init__(self, ad_user_data: _Optional[_Union[ConsentStatus, str]] = ..., ad_personalization: _Optional[_Union[ConsentStatus, str]] = ...) -> None: ...

class UserData(_message.Message):
    __slots__ = ("emails", "phones", "first_name", "last_name", "gender", "date_of_birth", "city", "state", "zip", "country", "external_ids", "client_ip_address", "client_user_agent")
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    PHONES_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ZIP_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_IDS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    emails: _containers.RepeatedScalarFieldContainer[str]
    phones: _containers.RepeatedScalarFieldContainer[str]
    first_name: str
    last_name: str
    gender: str
    date_of_birth: str
    city: str
    state: str
    zip: str
    country: str
    external_ids: _containers.RepeatedScalarFieldContainer[str]
    client_ip_address: str
    client_user_agent: str
    def __init__(self, emails: _Optional[_Iterable[str]] = ..., phones: _Optional[_Iterable[str]] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., gender: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., city: _Optional[str] = ..., state: _Optional[str] = ..., zip: _Optional[str] = ..., country: _Optional[str] = ..., external_ids: _Optional[_Iterable[str]] = ..., client_ip_address: _Optional[str] = ..., client_user_agent: _Optional[str] = ...) -> None: ...

class ClickIds(_message.Message):
    __slots__ = ("fbclid", "fbc", "fbp", "gclid", "wbraid", "gbraid", "ga_client_id", "ttclid", "ttp", "li_fat_id", "click_time", "ga_session_id", "ga_engagement_time_msec")
    FBCLID_FIELD_NUMBER: _ClassVar[int]
    FBC_FIELD_NUMBER: _ClassVar[int]
    FBP_FIELD_NUMBER: _ClassVar[int]
    GCLID_FIELD_NUMBER: _ClassVar[int]
    WBRAID_FIELD_NUMBER: _ClassVar[int]
    GBRAID_FIELD_NUMBER: _ClassVar[int]
    GA_CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TTCLID_FIELD_NUMBER: _ClassVar[int]
    TTP_FIELD_NUMBER: _ClassVar[int]
    LI_FAT_ID_FIELD_NUMBER: _ClassVar[int]
    CLICK_TIME_FIELD_NUMBER: _ClassVar[int]
    GA_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    GA_ENGAGEMENT_TIME_MSEC_FIELD_NUMBER: _ClassVar[int]
    fbclid: str
    fbc: str
    fbp: str
    gclid: str
    wbraid: str
    gbraid: str
    ga_client_id: str
    ttclid: str
    ttp: str
    li_fat_id: str
    click_time: _timestamp_pb2.Timestamp
    ga_session_id: str
    ga_engagement_time_msec: int
    def __init__(self, fbclid: _Optional[str] = ..., fbc: _Optional[str] = ..., fbp: _Optional[str] = ..., gclid: _Optional[str] = ..., wbraid: _Optional[str] = ..., gbraid: _Optional[str] = ..., ga_client_id: _Optional[str] = ..., ttclid: _Optional[str] = ..., ttp: _Optional[str] = ..., li_fat_id: _Optional[str] = ..., click_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ga_session_id: _Optional[str] = ..., ga_engagement_time_msec: _Optional[int] = ...) -> None: ...

class Content(_message.Message):
    __slots__ = ("id", "quantity", "item_price", "delivery_category", "name", "category")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ITEM_PRICE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    id: str
    quantity: int
    item_price: str
    delivery_category: str
    name: str
    category: str
    def __init__(self, id: _Optional[str] = ..., quantity: _Optional[int] = ..., item_price: _Optional[str] = ..., delivery_category: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...

class ConversionEvent(_message.Message):
    __slots__ = ("event_id", "event_name", "event_time", "action_source", "event_source_url", "user_data", "click_ids", "value", "currency", "order_id", "contents", "consent", "custom_properties", "destinations", "test_mode")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTION_SOURCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    USER_DATA_FIELD_NUMBER: _ClassVar[int]
    CLICK_IDS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    DESTINATIONS_FIELD_NUMBER: _ClassVar[int]
    TEST_MODE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_name: str
    event_time: _timestamp_pb2.Timestamp
    action_source: ActionSource
    event_source_url: str
    user_data: UserData
    click_ids: ClickIds
    value: str
    currency: str
    order_id: str
    contents: _containers.RepeatedCompositeFieldContainer[Content]
    consent: Consent
    custom_properties: _struct_pb2.Struct
    destinations: _containers.RepeatedScalarFieldContainer[str]
    test_mode: bool
    def __init__(self, event_id: _Optional[str] = ..., event_name: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action_source: _Optional[_Union[ActionSource, str]] = ..., event_source_url: _Optional[str] = ..., user_data: _Optional[_Union[UserData, _Mapping]] = ..., click_ids: _Optional[_Union[ClickIds, _Mapping]] = ..., value: _Optional[str] = ..., currency: _Optional[str] = ..., order_id: _Optional[str] = ..., contents: _Optional[_Iterable[_Union[Content, _Mapping]]] = ..., consent: _Optional[_Union[Consent, _Mapping]] = ..., custom_properties: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., destinations: _Optional[_Iterable[str]] = ..., test_mode: _Optional[bool] = ...) -> None: ...

class PreparedEvent(_message.Message):
    __slots__ = ("event_id", "event_name", "destination", "connector", "event_time", "action_source", "identifiers", "test_mode", "consent", "payload_json", "value", "currency")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTION_SOURCE_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    TEST_MODE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_name: str
    destination: str
    connector: str
    event_time: _timestamp_pb2.Timestamp
    action_source: ActionSource
    identifiers: _containers.RepeatedScalarFieldContainer[str]
    test_mode: bool
    consent: Consent
    payload_json: bytes
    value: str
    currency: str
    def __init__(self, event_id: _Optional[str] = ..., event_name: _Optional[str] = ..., destination: _Optional[str] = ..., connector: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action_source: _Optional[_Union[ActionSource, str]] = ..., identifiers: _Optional[_Iterable[str]] = ..., test_mode: _Optional[bool] = ..., consent: _Optional[_Union[Consent, _Mapping]] = ..., payload_json: _Optional[bytes] = ..., value: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...
