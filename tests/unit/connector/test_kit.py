"""The connector kit: the building blocks every connector shares, each doing one thing exactly."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from types import MappingProxyType

import pytest
from signalmesh.connector import (
    BaseConnector,
    ChecksEvents,
    Connector,
    Destination,
    FieldProblem,
    Limits,
    MatchQuality,
    OutcomeKind,
    PlatformEvent,
    body_excerpt,
    canonical_json,
    chunks,
    commerce_fields,
    content_item,
    groups_in_order,
    hashed_list,
    hashed_one,
    int_or_none,
    json_array,
    json_number,
    json_or_none,
    labels_of,
    outcome_for_each,
    post_request,
    prepared_event,
    problems_of,
    put_present,
    required_setting,
    retry_after_seconds,
    weighted_match_quality,
)
from signalmesh.v1 import event_pb2

DESTINATION = Destination("crm", "acme", {"url": "https://acme.example/hook", "blank": ""})


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lower(value: str) -> str | None:
    return value.lower() if "@" in value else None


def event(event_id: str = "evt-1", **fields) -> event_pb2.ConversionEvent:
    built = event_pb2.ConversionEvent(event_id=event_id, event_name="Purchase", **fields)
    built.event_time.FromSeconds(1_795_176_000)
    return built


# ---- prepare ----------------------------------------------------------------------------------


def test_prepared_event_carries_the_event_and_the_platforms_payload_canonically():
    source = event(action_source=event_pb2.ACTION_SOURCE_WEBSITE, test_mode=True)
    source.consent.ad_user_data = event_pb2.CONSENT_STATUS_GRANTED
    prepared = prepared_event(source, DESTINATION, "acme", PlatformEvent({"b": 1, "a": "é"}, ("email",)))
    assert (prepared.event_id, prepared.event_name, prepared.destination, prepared.connector) == (
        "evt-1",
        "Purchase",
        "crm",
        "acme",
    )
    assert prepared.action_source == event_pb2.ACTION_SOURCE_WEBSITE and prepared.test_mode
    assert prepared.event_time.seconds == 1_795_176_000
    assert prepared.consent.ad_user_data == event_pb2.CONSENT_STATUS_GRANTED
    assert list(prepared.identifiers) == ["email"]
    assert prepared.payload_json == '{"a":"é","b":1}'.encode()


def test_prepared_event_leaves_unset_time_and_consent_unset():
    prepared = prepared_event(
        event_pb2.ConversionEvent(event_id="e"), DESTINATION, "acme", PlatformEvent({}, ())
    )
    assert not prepared.HasField("event_time") and not prepared.HasField("consent")


def test_hashed_one_normalises_then_hashes_and_drops_blank_or_refused_values():
    assert hashed_one(" Jane@Example.com ", lower) == sha256("jane@example.com")
    assert hashed_one("   ", lower) is None
    assert hashed_one("no-at-sign", lower) is None


def test_a_digest_passes_through_hashed_one_lower_cased():
    digest = sha256("jane@example.com")
    assert hashed_one(digest.upper(), lower) == digest


def test_hashed_list_drops_unusable_values_and_duplicates_keeping_order():
    values = ["b@example.com", "A@example.com ", "junk", "", "B@Example.com"]
    assert hashed_list(values, lower) == [sha256("b@example.com"), sha256("a@example.com")]


def test_put_present_sets_only_values_that_exist():
    data: dict = {}
    for key, value in (("a", "x"), ("b", None), ("c", []), ("d", ""), ("e", ["y"])):
        put_present(data, key, value)
    assert data == {"a": "x", "e": ["y"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("29.99", 29.99), (" 10 ", 10.0), ("0", 0.0), ("abc", None), ("NaN", None), ("inf", None)],
)
def test_json_number_reads_finite_decimals_only(text, expected):
    assert json_number(text) == expected


def test_content_item_renames_set_fields_in_the_platforms_order_with_the_price_as_a_number():
    content = event_pb2.Content(id="sku-1", quantity=2, item_price="0", name="", category="shoes")
    keys = {"category": "item_category", "name": "item_name", "id": "item_id", "item_price": "price"}
    item = content_item(content, keys)
    assert item == {"item_category": "shoes", "item_id": "sku-1", "price": 0.0}
    assert list(item) == ["item_category", "item_id", "price"]


def test_commerce_fields_write_the_typed_fields_over_the_clients_custom_properties():
    event = event_pb2.ConversionEvent(value="29.90", currency=" eur ", order_id="A-1")
    event.custom_properties.update({"value": "client's", "campaign": "spring"})
    event.contents.add(id="sku-1", item_price="9.95")
    assert commerce_fields(event, {"id": "content_id", "item_price": "price"}) == {
        "campaign": "spring",
        "value": 29.9,
        "currency": "EUR",
        "order_id": "A-1",
        "contents": [{"content_id": "sku-1", "price": 9.95}],
    }


def test_commerce_fields_leave_out_what_the_event_does_not_carry():
    assert commerce_fields(event_pb2.ConversionEvent(currency="  "), {"id": "id"}) == {}


# ---- build_requests -----------------------------------------------------------------------------


def test_required_setting_names_the_destination_and_connector_when_missing():
    assert required_setting(DESTINATION, "url") == "https://acme.example/hook"
    with pytest.raises(ValueError, match="destination 'crm': the acme connector needs blank"):
        required_setting(DESTINATION, "blank")


def test_groups_keep_the_order_of_first_appearance():
    groups = groups_in_order(["a1", "b1", "a2", "c1", "b2"], lambda item: item[0])
    assert list(groups.items()) == [("a", ["a1", "a2"]), ("b", ["b1", "b2"]), ("c", ["c1"])]


def test_chunks_are_consecutive_runs_within_the_size():
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 3) == []


def test_post_request_lists_its_events_in_order_with_its_own_headers():
    batch = [event_pb2.PreparedEvent(event_id=event_id) for event_id in ("e2", "e1")]
    headers = {"Content-Type": "application/json"}
    request = post_request("https://acme.example", headers, b"{}", batch)
    assert (request.method, request.url, request.body, request.event_ids) == (
        "POST",
        "https://acme.example",
        b"{}",
        ("e2", "e1"),
    )
    assert request.headers == headers and request.headers is not headers


def test_canonical_json_is_sorted_compact_utf8_and_refuses_nan():
    assert canonical_json({"b": [1, 2], "a": "ü"}) == '{"a":"ü","b":[1,2]}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"value": float("nan")})


def test_json_array_splices_encoded_values_without_re_encoding():
    assert json_array([b'{"a":1}', b"2"]) == b'[{"a":1},2]'
    assert json.loads(json_array([])) == []


# ---- classify -----------------------------------------------------------------------------------


def test_outcome_for_each_gives_every_event_the_same_outcome_in_order():
    outcomes = outcome_for_each(
        ("e1", "e2"), OutcomeKind.RETRY, "later", code="503", retry_after=3.0, credentials=True
    )
    assert [outcome.event_id for outcome in outcomes] == ["e1", "e2"]
    assert {(o.kind, o.message, o.code, o.retry_after, o.credentials, o.whole_request) for o in outcomes} == {
        (OutcomeKind.RETRY, "later", "503", 3.0, True, False)
    }


@pytest.mark.parametrize(
    ("body", "expected"), [(b'{"a": 1}', {"a": 1}), (b"<html>", None), (b"\xff\xfe", None), (b"", None)]
)
def test_json_or_none_decodes_json_and_nothing_else(body, expected):
    assert json_or_none(body) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(7, 7), ("42", 42), (True, None), ("4.2", None), (None, None), (-1, -1)]
)
def test_int_or_none_reads_integers_and_digit_strings_but_not_bools(value, expected):
    assert int_or_none(value) == expected


def test_body_excerpt_quotes_the_start_of_the_body():
    assert body_excerpt(b"  bad request \n") == "bad request"
    assert body_excerpt(b"") == "(empty body)"
    assert body_excerpt(b"x" * 600) == "x" * 500 + "…"
    assert body_excerpt(b"abcdef", 3, ellipsis="") == "abc"
    assert body_excerpt(b" ", empty="HTTP 400 with an empty body") == "HTTP 400 with an empty body"


def test_retry_after_reads_seconds_and_http_dates_in_any_header_case():
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"Retry-After": "Thu, 01 Jan 2026 00:01:00 GMT"}, now=1_767_225_600) == 60.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


# ---- match quality ------------------------------------------------------------------------------

WEIGHTS = (("em", 4.0), (frozenset({"fn", "ln"}), 3.0), ("ph", 2.0), ("zp", 1.0))


def test_weighted_match_quality_adds_present_weights_and_lists_the_rest_in_table_order():
    assert weighted_match_quality(["ph", "zp"], WEIGHTS) == MatchQuality(3.0, ("em", "fn+ln"))


def test_a_set_counts_only_whole_and_is_asked_for_by_its_missing_part():
    assert weighted_match_quality(["em", "fn"], WEIGHTS) == MatchQuality(4.0, ("ln", "ph", "zp"))
    assert weighted_match_quality(["fn", "ln"], WEIGHTS).score == 3.0


def test_the_score_is_capped():
    assert weighted_match_quality(["a", "b"], (("a", 8.0), ("b", 8.0))).score == 10.0
    assert weighted_match_quality(["a"], (("a", 8.0),), max_score=5.0).score == 5.0


# ---- BaseConnector and the optional members ---------------------------------------------------


class AcmeConnector(BaseConnector):
    name = "acme"
    description = "test"
    config_schema = ()
    limits = Limits(max_events_per_request=10, max_event_age=timedelta(days=1))
    eligibility = MappingProxyType({})
    match_weights = (("email", 10.0),)
    identifier_labels = MappingProxyType({"email": "a hashed email"})

    def platform_event(self, event: event_pb2.ConversionEvent, destination: Destination) -> PlatformEvent:
        digests = hashed_list(event.user_data.emails, lower)
        return PlatformEvent({"email": digests}, ("email",) if digests else ())


def test_base_connector_prepares_from_platform_event_and_scores_from_its_weights():
    connector = AcmeConnector()
    source = event()
    source.user_data.emails.append("Jane@Example.com")
    prepared = connector.prepare(source, DESTINATION)
    assert json.loads(prepared.payload_json) == {"email": [sha256("jane@example.com")]}
    assert prepared.connector == "acme"
    assert connector.match_quality(prepared) == MatchQuality(10.0, ())
    assert connector.test_channel(DESTINATION) is None and connector.check_event(source) == ()


def test_base_connector_says_which_platform_method_is_missing():
    with pytest.raises(NotImplementedError, match="AcmeConnector must implement build_requests"):
        AcmeConnector().build_requests([], DESTINATION)


def test_optional_members_have_defaults_for_connectors_without_them():
    class Bare:
        pass

    assert labels_of(Bare()) == {} and problems_of(Bare(), event()) == ()
    assert labels_of(AcmeConnector()) == {"email": "a hashed email"}


def test_problems_of_asks_the_connectors_check_event():
    class Checking:
        def check_event(self, event):
            return [FieldProblem("click_ids.fbc", "fbc.format", "bad")]

    assert problems_of(Checking(), event()) == [FieldProblem("click_ids.fbc", "fbc.format", "bad")]


def test_problems_of_finds_checks_exactly_where_the_checks_protocol_does():
    class Blocked:
        check_event = None

    class OnTheInstance:
        def __init__(self) -> None:
            self.check_event = lambda event: [FieldProblem("event_name", "name.x", "set at init")]

    assert not isinstance(Blocked(), ChecksEvents) and problems_of(Blocked(), event()) == ()
    assert not isinstance(object(), ChecksEvents) and problems_of(object(), event()) == ()
    assert isinstance(OnTheInstance(), ChecksEvents)
    assert problems_of(OnTheInstance(), event()) == [FieldProblem("event_name", "name.x", "set at init")]


def test_a_base_connector_subclass_satisfies_the_protocol_once_it_declares_the_platform():
    class Undeclared(BaseConnector):
        name = "undeclared"

    assert isinstance(AcmeConnector(), Connector)
    assert not isinstance(Undeclared(), Connector)


def test_canonical_json_writes_the_bytes_json_dumps_sorted_writes() -> None:
    """orjson's bytes equal json.dumps(sort_keys=True) for what payloads hold, nulls and huge
    integers included (they take the json path); NaN is still refused."""
    from signalmesh.connector.kit import canonical_json

    documents = [
        {"b": 1, "a": 'é\u2028\x7f\x00\n"\\/', "c": [1, 2.5, True, {"z": 0.1, "y": -0.0}]},
        {"value": 29.99, "big": 1e16, "tiny_int": 2**63, "huge": 2**70, "none": None},
        ["Purchase", 1780000000, 123456789012.5, 1e21],
    ]
    for document in documents:
        expected = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical_json(document) == expected.encode("utf-8")
    with pytest.raises(ValueError):
        canonical_json({"value": float("nan")})


def test_json_number_reads_plain_decimals_as_decimal_would() -> None:
    """The float() fast path gives Decimal's double for plain decimals; other forms keep Decimal's."""
    from decimal import Decimal

    from signalmesh.connector.kit import json_number

    for text in ("29.99", " 0.1 ", "-0", "00.50", "123456789012345678901234567890.123", "1e3", "+5", "7."):
        assert json_number(text) == float(Decimal(text.strip())), text
    assert json_number("abc") is None and json_number("NaN") is None
