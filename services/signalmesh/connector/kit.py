"""The connector kit: the building blocks every connector needs and used to write again. Pure.

A connector author writes the platform's rules (the payload, its hashing, its error format);
the kit supplies what does not vary from platform to platform:

- ``prepared_event`` wraps a ``PlatformEvent`` (the platform's per-event JSON object and the
  identifier names present) in the ``PreparedEvent`` the core stores and routes;
- ``hashed_one``, ``hashed_list`` and ``put_present`` build a payload from normalisers;
  ``json_number`` turns our exact decimal strings into the JSON numbers platforms want;
  ``content_item`` renames a ``Content`` to a platform's item keys and ``commerce_fields``
  lays value, currency, order id and contents over the client's custom properties;
- ``required_setting``, ``groups_in_order``, ``chunks`` and ``post_request`` build requests;
  ``canonical_json`` and ``json_array`` keep bodies byte-stable;
- ``retry_without_answer``, ``outcome_for_each``, ``json_or_none``, ``int_or_none``, ``body_excerpt`` and
  ``retry_after_seconds`` read answers;
- ``weighted_match_quality`` scores identifiers from a weight table;
- ``eligibility``, ``base_url_field``, ``test_event_code_field`` and
  ``test_event_code_channel`` shorten the declarations most connectors make alike;
- ``BaseConnector`` ties these together, so a connector class is its declarations and three
  platform-specific methods.

The data types a connector declares and returns (``ConfigField``, ``Limits``, ``Outcome`` …) and
``Register`` (the hook's callback) are importable from here too, so a connector's modules need
one import, ``from signalmesh.connector import kit``, and read ``kit.Limits``, ``kit.chunks``.
Nothing here knows a platform: platform rules stay in each connector.
"""

from __future__ import annotations

import email.utils
import functools
import json
import re
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import orjson
from google.protobuf import json_format

from signalmesh.connector.protocol import Connector
from signalmesh.connector.types import (
    SEND_ALL,
    STRICT,
    ConfigField,
    Destination,
    EligibilityRule,
    FieldProblem,
    HttpRequest,
    HttpResponse,
    Limits,
    MatchQuality,
    Outcome,
    OutcomeKind,
    PlatformEvent,
    TransportFailure,
)
from signalmesh.normalize.text import Normaliser, hashed
from signalmesh.v1 import event_pb2

__all__ = [
    "MAX_MATCH_SCORE",
    "AnswerClassifier",
    "BaseConnector",
    "Classifier",
    "MatchWeights",
    "Register",
    "base_url_field",
    "body_excerpt",
    "canonical_json",
    "chunks",
    "commerce_fields",
    "content_item",
    "eligibility",
    "groups_in_order",
    "hashed_list",
    "hashed_one",
    "int_or_none",
    "json_array",
    "json_number",
    "json_or_none",
    "outcome_for_each",
    "post_request",
    "prepared_event",
    "put_present",
    "required_setting",
    "retry_after_seconds",
    "retry_without_answer",
    "test_event_code_channel",
    "test_event_code_field",
    "weighted_match_quality",
]

Item = TypeVar("Item")
Key = TypeVar("Key", bound=Hashable)

# How much of an unreadable answer an outcome's message quotes.
MAX_EXCERPT_CHARS = 500
# A weight table: an identifier name (or a set of names that count only together) and its weight.
MatchWeights = Sequence[tuple[str | frozenset[str], float]]
MAX_MATCH_SCORE = 10.0
# Identifier-name sets whose match quality a connector remembers (names only, no values).
MAX_CACHED_IDENTIFIER_SETS = 4096
# What ``register_connectors(register)`` receives: call it once per connector.
Register = Callable[[Connector], None]

# ---- bytes that never change between retries ---------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8): the same event always gives the same
    bytes, so retries are identical and tests compare bodies exactly. NaN is refused.

    orjson writes the bytes ``json.dumps(sort_keys=True)`` writes, several times faster (a hot
    path: once per event and destination), except for what it cannot or will not encode alike:
    integers beyond 64 bits (it refuses them) and NaN/Infinity (it writes ``null``, where we
    refuse). Those, and any document with a ``null`` in it, go through ``json`` instead.
    Floats below 1e-4 in magnitude are written positionally (``0.00001``, json: ``1e-05``):
    the same number to every JSON reader.
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        encoded = b"null"
    if b"null" not in encoded:
        return encoded
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def json_array(items: Iterable[bytes]) -> bytes:
    """Splice already-encoded JSON values (``PreparedEvent.payload_json``) into one array."""
    return b"[" + b",".join(items) + b"]"


# ---- declarations ------------------------------------------------------------------------------


def eligibility(*, strict: EligibilityRule, send_all: EligibilityRule) -> Mapping[str, EligibilityRule]:
    """A connector's ``eligibility``: the rule for each strategy, read-only."""
    return MappingProxyType({STRICT: strict, SEND_ALL: send_all})


def base_url_field(default: str, api: str) -> ConfigField:
    """The optional ``base_url`` setting: ``api``'s address, which the sandbox stands in for locally."""
    return ConfigField(
        "base_url",
        f"{api} base URL; point it at the SignalMesh sandbox for local runs.",
        required=False,
        default=default,
    )


def test_event_code_field() -> ConfigField:
    """The optional ``test_event_code`` setting of a platform whose Events Manager shows test events."""
    return ConfigField(
        "test_event_code",
        "Events Manager → Test Events code; sent with test_mode events only.",
        required=False,
    )


def test_event_code_channel(destination: Destination) -> str | None:
    """``test_channel`` of such a platform: test events go there only with a ``test_event_code``."""
    code = destination.setting("test_event_code")
    return f"test_event_code {code}" if code else None


# ---- prepare -------------------------------------------------------------------------------------


def prepared_event(
    event: event_pb2.ConversionEvent, destination: Destination, connector: str, platform_event: PlatformEvent
) -> event_pb2.PreparedEvent:
    """The ``PreparedEvent`` for ``platform_event``: what every connector's ``prepare`` returns.

    The event's id, name, time, action source, consent and test mode are carried over as they
    are (policy decides on them); the payload is ``canonical_json`` of the platform's data.
    """
    prepared = event_pb2.PreparedEvent(
        event_id=event.event_id,
        event_name=event.event_name,
        destination=destination.name,
        connector=connector,
        action_source=event.action_source,
        identifiers=platform_event.identifiers,
        test_mode=event.test_mode,
        payload_json=canonical_json(platform_event.data),
    )
    if event.HasField("event_time"):
        prepared.event_time.CopyFrom(event.event_time)
    if event.HasField("consent"):
        prepared.consent.CopyFrom(event.consent)
    return prepared


def hashed_one(value: str, normalise: Normaliser) -> str | None:
    """The SHA-256 digest of ``normalise(value)``; None for a blank value or one the rule drops.

    A value that already is a SHA-256 digest passes through (``normalize.text.hashed``).
    """
    return hashed(value, normalise) if value and value.strip() else None


def hashed_list(values: Iterable[str], normalise: Normaliser) -> list[str]:
    """The digests of every value that normalises, duplicates removed, in the client's order."""
    # ``hashed_one`` per value, as a plain loop: most lists hold one value, where two nested
    # generators cost more than the hashing.
    digests: dict[str, None] = {}
    for value in values:
        if value and value.strip() and (digest := hashed(value, normalise)):
            digests[digest] = None
    return list(digests)


def put_present(target: dict[str, Any], key: str, value: str | list[str] | None) -> None:
    """Set ``target[key]`` only when ``value`` is not empty: platforms refuse empty identifiers."""
    if value:
        target[key] = value


_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?")


def json_number(decimal_text: str) -> float | None:
    """Our exact decimal string (``"29.99"``) as the JSON number a platform wants; None when it
    is not a finite decimal (validation has already refused it, so this only guards)."""
    return _json_number(decimal_text) if decimal_text else None


# Amounts and prices repeat across events (and are not personal data): each text is read once.
@functools.lru_cache(maxsize=4096)
def _json_number(decimal_text: str) -> float | None:
    text = decimal_text.strip()
    if _PLAIN_DECIMAL.fullmatch(text):
        # float() and Decimal → float both round the exact decimal correctly: the same double.
        return float(text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return float(amount) if amount.is_finite() else None


def content_item(content: event_pb2.Content, keys: Mapping[str, str]) -> dict[str, Any]:
    """One ``Content`` as a platform's item object. ``keys`` maps our field names (``id``,
    ``quantity``, ``item_price``, ``delivery_category``, ``name``, ``category``) to the
    platform's, in the order the platform lists them; a field left unset is left out, and
    ``item_price`` goes as a JSON number (``json_number``)."""
    item: dict[str, Any] = {}
    for field, key in keys.items():
        value = getattr(content, field)
        if not value:
            continue  # unset (and an empty item_price is no number)
        if field == "item_price":
            if (price := _json_number(value)) is not None:
                item[key] = price
        else:
            item[key] = value
    return item


def commerce_fields(event: event_pb2.ConversionEvent, content_keys: Mapping[str, str]) -> dict[str, Any]:
    """The client's ``custom_properties``, then our typed fields written over them, for a
    platform that takes them as ``value`` (a JSON number), ``currency`` (ISO 4217, upper case),
    ``order_id`` and ``contents`` (each a ``content_item`` with ``content_keys``)."""
    # Most events carry no custom properties: converting an empty Struct is pure cost.
    result: dict[str, Any] = (
        json_format.MessageToDict(event.custom_properties)
        if event.HasField("custom_properties") and event.custom_properties.fields
        else {}
    )
    if (value := json_number(event.value)) is not None:
        result["value"] = value
    if currency := event.currency.strip():
        result["currency"] = currency.upper()
    if order_id := event.order_id:
        result["order_id"] = order_id
    if contents := event.contents:
        result["contents"] = [content_item(content, content_keys) for content in contents]
    return result


# ---- build_requests --------------------------------------------------------------------------------


def required_setting(destination: Destination, key: str) -> str:
    """A setting the connector cannot build a request without.

    Config validation checks required settings at start-up, so a missing one here is a bug; the
    error names the destination and its connector.
    """
    value = destination.setting(key)
    if not value:
        connector = destination.connector
        raise ValueError(f"destination {destination.name!r}: the {connector} connector needs {key}")
    return value


def groups_in_order(items: Iterable[Item], key: Callable[[Item], Key]) -> dict[Key, list[Item]]:
    """``items`` grouped by ``key``, groups in order of first appearance: the requests built from
    them depend only on the input (test and production events apart, one source per request …)."""
    groups: dict[Key, list[Item]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def chunks(items: Sequence[Item], size: int) -> list[Sequence[Item]]:
    """Consecutive runs of at most ``size`` items: one request each."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def post_request(
    url: str, headers: Mapping[str, str], body: bytes, chunk: Sequence[event_pb2.PreparedEvent]
) -> HttpRequest:
    """A POST carrying ``chunk``: its ``event_ids`` in body order, its own copy of ``headers``."""
    return HttpRequest(
        method="POST",
        url=url,
        headers=dict(headers),
        body=body,
        event_ids=tuple(prepared.event_id for prepared in chunk),
    )


# ---- classify --------------------------------------------------------------------------------------


def outcome_for_each(
    event_ids: Sequence[str],
    kind: OutcomeKind,
    message: str,
    *,
    code: str = "",
    field: str = "",
    retry_after: float | None = None,
    whole_request: bool = False,
    credentials: bool = False,
) -> list[Outcome]:
    """The same outcome for every event of a request, in order: what an answer about the whole
    request (a timeout, a 5xx, a refused token) means for each of its events."""
    return [
        Outcome(
            event_id,
            kind,
            message,
            code=code,
            field=field,
            retry_after=retry_after,
            whole_request=whole_request,
            credentials=credentials,
        )
        for event_id in event_ids
    ]


class Classifier(Protocol):
    """A connector's ``classify`` as a plain function (a Protocol, so ``staticmethod`` keeps it typed)."""

    def __call__(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]: ...


# The part of a classify that reads an answer that came.
AnswerClassifier = Callable[[HttpRequest, HttpResponse], list[Outcome]]


def retry_without_answer(platform: str) -> Callable[[AnswerClassifier], Classifier]:
    """Decorate a function that classifies ``platform``'s answers into a whole ``classify``.

    Without an answer (a timeout, a refused connection) nothing says whether the events were
    taken, so every event of the request is retried: "no answer from Meta: timeout".
    """

    def decorate(classify_answer: AnswerClassifier) -> Classifier:
        @functools.wraps(classify_answer)
        def classify(request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
            if isinstance(response, TransportFailure):
                message = f"no answer from {platform}: {response.value}"
                return outcome_for_each(request.event_ids, OutcomeKind.RETRY, message)
            return classify_answer(request, response)

        return classify

    return decorate


def json_or_none(body: bytes | str) -> Any:
    """The decoded JSON document, or None when the body is not JSON (a proxy's page, garbage)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def int_or_none(value: Any) -> int | None:
    """An integer field of a platform's answer, also when sent as digits; None otherwise (a bool
    is not a number here, though Python says it is)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def body_excerpt(
    body: bytes, limit: int = MAX_EXCERPT_CHARS, *, empty: str = "(empty body)", ellipsis: str = "…"
) -> str:
    """The start of an answer's body as text, for a message that shows the operator what came
    back: at most ``limit`` characters (then ``ellipsis``), or ``empty`` for a blank body."""
    text = body.decode("utf-8", errors="replace").strip() or empty
    return text if len(text) <= limit else text[:limit] + ellipsis


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or HTTP date) into seconds from now."""
    raw = next((value for key, value in headers.items() if key.lower() == "retry-after"), None)
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


# ---- match quality -------------------------------------------------------------------------------


def weighted_match_quality(
    identifiers: Iterable[str], weights: MatchWeights, max_score: float = MAX_MATCH_SCORE
) -> MatchQuality:
    """The score of the identifiers present by a weight table (heaviest first), at most ``max_score``.

    A set of names counts only when all are present; ``missing`` lists the absent entries in
    table order, a partly present set by its missing part (``ln`` when only ``fn`` is there),
    a wholly absent one joined by ``+`` (``fn+ln``).
    """
    present = frozenset(identifiers)
    score = 0.0
    missing: list[str] = []
    for needed, weight in weights:
        absent = (frozenset({needed}) if isinstance(needed, str) else needed) - present
        if absent:
            missing.append("+".join(sorted(absent)))
        else:
            score += weight
    return MatchQuality(score=min(score, max_score), missing=tuple(missing))


# ---- a base class ----------------------------------------------------------------------------------


class BaseConnector:
    """A connector's common half: subclass it, declare the platform, write three methods.

    The subclass sets ``name``, ``description``, ``config_schema``, ``limits``, ``eligibility``
    and ``match_weights`` (optionally ``required_identifiers`` and ``identifier_labels``), and
    implements ``platform_event`` (one event → the platform's object), ``build_requests`` and
    ``classify``. ``prepare`` and ``match_quality`` follow from them; ``test_channel`` says
    "none" and ``check_event`` finds nothing until overridden.
    """

    name: str
    description: str
    config_schema: tuple[ConfigField, ...]
    limits: Limits
    eligibility: Mapping[str, EligibilityRule]
    required_identifiers: Mapping[int, frozenset[str]] = MappingProxyType({})
    # The weight table match_quality scores by, heaviest first; weights summing to 10.
    match_weights: MatchWeights = ()
    # Identifier name → words for CheckEvent's advice ("em" → "a hashed email").
    identifier_labels: Mapping[str, str] = MappingProxyType({})

    def platform_event(self, event: event_pb2.ConversionEvent, destination: Destination) -> PlatformEvent:
        """The platform's per-event object with personal data normalised and hashed. Pure."""
        raise NotImplementedError(f"{type(self).__name__} must implement platform_event")

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        return prepared_event(event, destination, self.name, self.platform_event(event, destination))

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        # The score depends only on which identifier *names* are present (never their values),
        # and events share few such sets: each set is scored once per connector.
        identifiers = tuple(prepared.identifiers)
        cache = self.__dict__.setdefault("_match_quality_by_identifiers", {})
        quality = cache.get(identifiers)
        if quality is None:
            quality = weighted_match_quality(identifiers, self.match_weights)
            if len(cache) < MAX_CACHED_IDENTIFIER_SETS:
                cache[identifiers] = quality
        return quality

    def test_channel(self, destination: Destination) -> str | None:
        return None

    def check_event(self, event: event_pb2.ConversionEvent) -> Sequence[FieldProblem]:
        return ()

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        raise NotImplementedError(f"{type(self).__name__} must implement build_requests")

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        raise NotImplementedError(f"{type(self).__name__} must implement classify")
