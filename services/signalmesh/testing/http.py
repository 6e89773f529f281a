"""Send a connector's request over real HTTP the way the mesh does, for round-trip tests.

It goes through the core's own ``Transport`` (the one HTTP client in production), so a test
sees the same headers, timeouts and failure kinds the dispatcher sees.
"""

from __future__ import annotations

from signalmesh.connector import Connector, HttpRequest, HttpResponse, Outcome, TransportFailure
from signalmesh.gateway.transport import Transport


async def send(request: HttpRequest, timeout_seconds: float = 30.0) -> HttpResponse | TransportFailure:
    """The platform's (or sandbox's) answer to ``request``, or how the exchange failed."""
    transport = Transport(timeout_seconds)
    try:
        return await transport.send(request, destination="test")
    finally:
        await transport.close()


async def deliver(connector: Connector, request: HttpRequest, timeout_seconds: float = 30.0) -> list[Outcome]:
    """``connector.classify`` of the real answer to ``request``: one outcome per event."""
    return connector.classify(request, await send(request, timeout_seconds))
