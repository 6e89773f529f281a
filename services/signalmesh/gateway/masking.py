"""What of a built platform request may be shown to an operator: method, URL without its query
string, and body, with the destination's secrets masked. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from signalmesh.connector import ConfigField, Destination, HttpRequest

MASK = "***"
# Shorter values would mask innocent text everywhere; no real credential is this short.
MIN_SECRET_LENGTH = 4


def secret_values(destination: Destination, schema: Sequence[ConfigField]) -> list[str]:
    """The destination's settings that its connector's schema marks secret (long enough to mask)."""
    values = []
    for field in schema:
        secret = destination.settings.get(field.name) if field.secret else None
        if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH:
            values.append(secret)
    return values


def masked(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def shown_request(request: HttpRequest, destination: Destination, schema: Sequence[ConfigField]) -> str:
    """The query string may carry credentials (GA4's api_secret) and headers always may, so
    neither is shown; a secret that a connector put in the body is masked."""
    body = request.body.decode("utf-8", errors="replace")
    shown = f"{request.method} {request.url.split('?', 1)[0]}\n{body}"
    return masked(shown, secret_values(destination, schema))
