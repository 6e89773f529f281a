"""What the store keeps of one HTTP exchange, per event: the body sent and the platform's answer,
for `signalmesh status --payload` and `signalmesh diff`. Pure.

- Hashed data only: the body is built from PreparedEvents, which never hold raw personal data.
- Never a credential: headers and the URL (whose query string may hold GA4's api_secret) are
  not kept, and the destination's secret settings are masked in both bodies.
- Bounded: each body is cut to ``MAX_KEPT_BYTES`` (16 kB) of UTF-8, ending in a marker that says
  so; a cut body is no longer JSON and is shown as text.
- Per event: a request carrying several events keeps, for each, its own element in the request's
  envelope (``monitoring.payload_parts``), so a 1,000-event batch does not keep 1,000 copies of
  itself; when the body does not show which element is whose, every event keeps the whole body
  (cut once). The answer is kept whole: it is one per request, usually small, and may speak of
  positions in the whole request (``request_index`` says this event's).

A hot path (every event delivered), so the body is decoded with orjson and each element encoded
once and spliced into its envelope; what is kept is byte for byte what ``json`` and
``canonical_json`` would give, and wherever orjson could read or write a value differently
(integers beyond 64 bits, NaN, a ``null``), it is ``json`` that decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from signalmesh.connector import (
    ConfigField,
    Destination,
    HttpRequest,
    HttpResponse,
    TransportFailure,
    canonical_json,
    json_or_none,
)
from signalmesh.gateway.masking import masked, secret_values
from signalmesh.monitoring.payload_parts import element_positions, split_by_event
from signalmesh.store.base import DeliveryPayload

MAX_KEPT_BYTES = 16 * 1024


def bounded(text: str, limit: int = MAX_KEPT_BYTES) -> str:
    """``text`` when its UTF-8 fits in ``limit`` bytes; else its start, cut on a character
    boundary, and a marker naming the full size, together at most ``limit`` bytes."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    marker = f"…[cut at {limit // 1024} kB of {len(encoded)} bytes]"
    room = max(0, limit - len(marker.encode("utf-8")))
    return encoded[:room].decode("utf-8", errors="ignore") + marker


def kept_payloads(
    request: HttpRequest,
    answer: HttpResponse | TransportFailure,
    destination: Destination,
    schema: Sequence[ConfigField],
) -> dict[str, DeliveryPayload]:
    """One ``DeliveryPayload`` per event of ``request``, by event id."""
    secrets = secret_values(destination, schema)
    # Masked before anything is cut or re-encoded, so no part of a secret can survive either.
    body = masked(request.body.decode("utf-8", errors="replace"), secrets)
    if isinstance(answer, HttpResponse):
        status, response = (
            answer.status,
            bounded(masked(answer.body.decode("utf-8", errors="replace"), secrets)),
        )
    else:
        status, response = 0, ""
    event_ids = request.event_ids
    parts = _own_parts(body, event_ids, secrets)
    return {
        event_id: DeliveryPayload(
            request_body=parts[event_id],
            response_body=response,
            response_status=status,
            request_events=len(event_ids),
            request_index=index,
        )
        for index, event_id in enumerate(event_ids)
    }


def _own_parts(body: str, event_ids: Sequence[str], secrets: Sequence[str]) -> dict[str, str]:
    if len(event_ids) > 1:
        try:
            parts = _split_parts(body, event_ids)
        except ValueError:  # NaN or Infinity in the body: not canonical JSON, keep it whole
            parts = None
        if parts is not None:
            return {
                event_id: bounded(masked(part.decode("utf-8"), secrets)) for event_id, part in parts.items()
            }
    whole = bounded(body)
    return dict.fromkeys(event_ids, whole)


def _split_parts(body: str, event_ids: Sequence[str]) -> dict[str, bytes] | None:
    """Each event's part, encoded as the bundled connectors encode (canonical JSON), so a part
    reads as sent; None when the body does not show whose element is whose."""
    encoded_body = body.encode("utf-8")
    try:
        document = orjson.loads(encoded_body)
    except orjson.JSONDecodeError:  # NaN, Infinity, a lone surrogate: json may still read it
        return _reencoded_parts(json_or_none(body), event_ids)
    found = element_positions(document, event_ids)
    if found is None:
        # Whose element is whose follows from the document's shape and its event ids alone,
        # which orjson and json read alike: no parts, whichever decodes.
        return None
    spliced = _spliced_parts(document, *found, encoded_body)
    return spliced if spliced is not None else _reencoded_parts(json_or_none(body), event_ids)


def _reencoded_parts(document: Any, event_ids: Sequence[str]) -> dict[str, bytes] | None:
    split = split_by_event(document, event_ids)
    if split is None:
        return None
    return {event_id: canonical_json(part) for event_id, part in split.items()}


# Stands in for the events array while the envelope is encoded, to be cut out of the encoding.
_PLACEHOLDER = "\x00signalmesh: the events array\x00"
_ENCODED_PLACEHOLDER = orjson.dumps(_PLACEHOLDER)


def _spliced_parts(
    document: Any, key: str, positions: dict[str, int], encoded_body: bytes
) -> dict[str, bytes] | None:
    """``_reencoded_parts`` of the body orjson decoded into ``document`` (the same bytes), with
    each element encoded once and spliced into the envelope, encoded once; None when this cannot
    be shown to give the same bytes.

    The same bytes, because the envelope and elements encoded again must give back the body
    exactly: then orjson read every value as ``json`` does (it reads an integer beyond 64 bits
    as a float, which would be written differently), and ``canonical_json`` of a part is its
    splice, except for a part holding a ``null``, which ``canonical_json`` writes with ``json``."""
    elements = document[key]
    try:
        envelope = orjson.dumps({**document, key: _PLACEHOLDER}, option=orjson.OPT_SORT_KEYS)
        encoded = [orjson.dumps(element, option=orjson.OPT_SORT_KEYS) for element in elements]
    except TypeError:  # nested deeper than orjson writes: canonical_json falls back to json
        return None
    if envelope.count(_ENCODED_PLACEHOLDER) != 1:
        return None
    before, _, after = envelope.partition(_ENCODED_PLACEHOLDER)
    before += b"["
    after = b"]" + after
    if before + b",".join(encoded) + after != encoded_body:
        return None
    if b"null" not in encoded_body:  # one scan for all: the body holds every part's bytes
        return {
            event_id: b"".join((before, encoded[position], after)) for event_id, position in positions.items()
        }
    null_in_envelope = b"null" in envelope
    parts = {}
    for event_id, position in positions.items():
        element = encoded[position]
        if null_in_envelope or b"null" in element:
            parts[event_id] = canonical_json({**document, key: [elements[position]]})
        else:
            parts[event_id] = before + element + after
    return parts
