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
"""

from __future__ import annotations

from collections.abc import Sequence

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
from signalmesh.monitoring.payload_parts import split_by_event
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
    if len(event_ids) > 1 and (split := split_by_event(json_or_none(body), event_ids)) is not None:
        try:
            # Re-encoded as the bundled connectors encode (canonical JSON), so a part reads as sent.
            return {
                event_id: bounded(masked(canonical_json(part).decode("utf-8"), secrets))
                for event_id, part in split.items()
            }
        except ValueError:  # NaN or Infinity in the body: not canonical JSON, keep it whole
            pass
    whole = bounded(body)
    return dict.fromkeys(event_ids, whole)
