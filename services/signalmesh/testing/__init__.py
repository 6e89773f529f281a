"""The connector conformance kit: the tests every SignalMesh connector inherits (DESIGN.md §3).

A connector package proves it keeps the core's rules by subclassing ``ConformanceSuite`` in its
own tests. The suite then checks, with test names that say what failed:

- ``prepare`` and ``build_requests`` are pure and deterministic (same input, same bytes; inputs
  left unchanged) and ``payload_json`` is canonical JSON;
- a batch of ``limits.max_events_per_request + 1`` events is split into requests within the
  limit, each event carried exactly once, ``request.event_ids`` matching the body;
- no raw personal value (email as given and lower-cased, phone digits with and without '+',
  names, city, external ids; also JSON-escaped and percent-encoded) appears in a prepared
  event, a body, a URL or a header, and the payload carries SHA-256 digests;
- the sample events satisfy ``send_all`` and ``required_identifiers``, and the policy sends them;
- ``classify`` gives one outcome per event, in order, for every kind of answer: no answer, 5xx
  and 429 are RETRY (429 no sooner than ``Retry-After``), the platform's own refusal is
  REJECTED with its message, a 2xx with a malformed body is one of ``malformed_2xx_kinds``;
- ``config_schema`` marks settings named like credentials (token, secret, key, password) secret,
  ``test_channel`` answers a description or None;
- the sample payloads, sent over real HTTP to a freshly started sandbox, come back DELIVERED
  and are recorded by the sandbox without a rejected request.

How to use it, in ``plugins/<platform>/tests/test_conformance.py``::

    from signalmesh.connector import Destination, HttpRequest, HttpResponse
    from signalmesh.testing import ConformanceSuite
    from signalmesh.v1 import event_pb2

    from signalmesh_acme.connector import AcmeConnector


    class TestAcmeConformance(ConformanceSuite):
        connector = AcmeConnector()

        def destination(self, sandbox_url: str) -> Destination:
            return Destination("acme", "acme", {"base_url": sandbox_url, "api_key": "sandbox-token"})

        def sample_events(self, now: float) -> list[event_pb2.ConversionEvent]:
            event = event_pb2.ConversionEvent(event_id="order-1", event_name="Purchase", value="9.99",
                                              currency="USD")
            event.event_time.FromSeconds(int(now) - 60)
            event.user_data.emails.append("Jane.Doe@Example.com")
            event.user_data.phones.append("+1 650 555 1212")
            event.user_data.first_name = "Janet"
            return [event]

        def rejection_response(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(400, {}, b'{"error": {"message": "event 0: bad value"}}')

Optional class attributes and methods:

- ``malformed_2xx_kinds``: the outcome kinds a 2xx with an empty or garbage body may become
  (default RETRY or REJECTED; a webhook for which any 2xx is a delivery adds DELIVERED);
- ``personal_values(events)``: the raw strings searched for (default: derived from the events'
  ``user_data``); extend it with ``super().personal_values(events) | {...}``;
- ``event_ids_in_body(request, candidates)``: which event ids a body carries, in order (default:
  whole JSON string values, or a text search for non-JSON bodies).

Rules for the sample events: at least one, distinct event ids, timed near ``now`` (the sandbox
checks age windows with the real clock), valid for the platform, eligible under ``send_all``,
with raw personal data of at least four characters (shorter strings occur by chance).

For a package's own round-trip tests, ``send(request)`` and ``deliver(connector, request)`` put a
request on the wire through the core's HTTP client and return the answer, or its outcomes.

Installing ``signalmesh`` also registers the pytest plugin ``signalmesh.testing.plugin``, whose
fixtures (``sandbox``, ``sandbox_url``, ``sandbox_control``) serve a package's other tests.
The async sandbox test needs pytest-asyncio (it is marked ``asyncio``, so strict mode works).
"""

from __future__ import annotations

import pytest

# Plain ``assert`` in the suite reports compared values only when pytest rewrites the module,
# which it does for test files and conftests but not for an installed package's modules.
pytest.register_assert_rewrite("signalmesh.testing.conformance")

from signalmesh.testing.conformance import ConformanceSuite  # noqa: E402
from signalmesh.testing.http import deliver, send  # noqa: E402

__all__ = ["ConformanceSuite", "deliver", "send"]
