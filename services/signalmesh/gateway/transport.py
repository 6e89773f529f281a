"""The one HTTP client every connector's requests go through: timeouts, tracing, trace headers.

Connectors build requests and classify answers; only this module touches the network, so
tracing and timeouts are right for every platform by construction.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import aiohttp
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from signalmesh.connector import HttpRequest, HttpResponse, TransportFailure
from signalmesh.telemetry import tracing

_tracer = trace.get_tracer("signalmesh.transport")


class Transport:
    def __init__(self, timeout_seconds: float, max_connections: int = 100) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(limit=self._max_connections)
            )
        return self._session

    async def send(self, request: HttpRequest, destination: str) -> HttpResponse | TransportFailure:
        with _tracer.start_as_current_span(f"{request.method} {destination}", kind=SpanKind.CLIENT) as span:
            if span.is_recording():
                span.set_attributes(_request_attributes(request, destination))
            headers = dict(request.headers)
            propagate.inject(headers)
            try:
                async with self._client().request(
                    request.method, request.url, data=request.body, headers=headers
                ) as answer:
                    body = await answer.read()
                    span.set_attribute("http.response.status_code", answer.status)
                    if answer.status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    return HttpResponse(status=answer.status, headers=dict(answer.headers), body=body)
            except TimeoutError:
                span.set_status(Status(StatusCode.ERROR, "timeout"))
                return TransportFailure.TIMEOUT
            except aiohttp.ClientError as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                return TransportFailure.CONNECTION

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _request_attributes(request: HttpRequest, destination: str) -> dict[str, str | list[str]]:
    """What the HTTP span says about a request: no query string (it may carry a token)."""
    attributes: dict[str, str | list[str]] = {
        "http.request.method": request.method,
        "url.full": urlunsplit(urlsplit(request.url)._replace(query="")),
        tracing.DESTINATION: destination,
        tracing.EVENT_IDS: list(request.event_ids),
    }
    if len(request.event_ids) == 1:
        attributes[tracing.EVENT_ID] = request.event_ids[0]
    return attributes
