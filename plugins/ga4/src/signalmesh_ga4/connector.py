"""The GA4 Measurement Protocol connector: what SignalMesh needs to send server events to a GA4 web stream.

Declarative parts (settings, limits, eligibility per strategy, match weights, identifier labels)
are data the core and the policy service read without running code; the methods are pure and
delegate to ``payload`` (the event ``prepare`` wraps), ``batching`` (build_requests) and
``responses`` (classify).

Eligibility
-----------
GA4 ties every event to a browser through ``client_id`` (the ``_ga`` cookie); a web-stream
request without one is invalid (platforms.md §2A "Body"). So **both strategies need
``client_id``, and nothing else**. GA4 has no click id of its own: it attributes an event to an
ad click through the session of that client id (auto-tagging put the gclid there), so the
client id is what lets GA4 attribute the event at all. ``strict`` therefore also means
"client_id", not "gclid": requiring a gclid would keep organic conversions out of analytics,
which is not what strict ("only events the platform can attribute") asks.

Match quality
-------------
GA4 publishes no match score. The weights below are **our estimates**; they sum to 10.

================== ====== ==========================================================
identifier          weight why (source, platforms.md)
================== ====== ==========================================================
client_id           5.0    the join key to the browser's session; required (§2A "Body")
email               2.0    user-provided data; the key Google matches best (G4, §2C)
phone               1.0    user-provided data (G4, §2C)
address             1.0    names + place; weaker than email or phone (G4, §2C)
user_id             1.0    cross-device identity; recommended with user_data (§2A)
================== ====== ==========================================================
"""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_ga4 import batching, payload, responses

EVENT_NAMES_SETTING = "event_names"


_CLIENT_ID_DETAIL = (
    "GA4 needs the browser's client id in either strategy: send click_ids.ga_client_id "
    "(<random>.<timestamp>, the last two parts of the _ga cookie)"
)


def event_name_overrides(destination: kit.Destination) -> dict[str, str]:
    """``event_names.Lead = "qualify_lead"`` settings (signalmesh.toml flattens the table) → a map."""
    prefix = f"{EVENT_NAMES_SETTING}."
    return {
        key.removeprefix(prefix): value.strip()
        for key, value in destination.settings.items()
        if key.startswith(prefix) and value.strip()
    }


class Ga4Connector(kit.BaseConnector):
    """Sends conversions to ``POST /mp/collect`` of a GA4 web stream (platforms.md §2A)."""

    name = "ga4"
    description = "Google Analytics 4 Measurement Protocol: server events for a web stream"
    config_schema: tuple[kit.ConfigField, ...] = (
        kit.ConfigField(
            "measurement_id",
            "The web stream's measurement id, e.g. G-XXXXXXX (Admin → Data streams; not the stream id).",
        ),
        kit.ConfigField(
            "api_secret",
            "A Measurement Protocol API secret of the stream, e.g. env:GA4_API_SECRET.",
            secret=True,
        ),
        kit.ConfigField(
            "base_url",
            "Collection host; https://region1.google-analytics.com collects in the EU; "
            "the sandbox's URL for local runs.",
            required=False,
            default=batching.DEFAULT_BASE_URL,
        ),
        kit.ConfigField(
            EVENT_NAMES_SETTING,
            "GA4 names that replace the built-in mapping: "
            '[destinations.NAME.event_names] Lead = "qualify_lead".',
            required=False,
        ),
    )
    limits = kit.Limits(
        max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
        # GA4: events may be backdated up to 72 h, but the newer use-cases page says "two business
        # days" for ads export and audiences; platforms.md §2A (open item 3) picks the stricter
        # reading: send within about 48 h.
        max_event_age=timedelta(hours=48),
    )
    eligibility = kit.eligibility(
        # GA4 attributes through the client id's session; it has no click id of its own (see
        # the module docstring), so strict needs exactly what send_all needs.
        strict=kit.EligibilityRule(
            any_of=(frozenset({"client_id"}),),
            reason=policy_pb2.REASON_MISSING_REQUIRED_FIELD,
            detail=_CLIENT_ID_DETAIL,
        ),
        send_all=kit.EligibilityRule(
            any_of=(frozenset({"client_id"}),),
            reason=policy_pb2.REASON_MISSING_REQUIRED_FIELD,
            detail=_CLIENT_ID_DETAIL,
        ),
    )
    # client_id is required for every action source; the eligibility rules carry it, so there
    # are no required_identifiers.
    # (identifier, weight): see the table in the module docstring.
    match_weights = (
        ("client_id", 5.0),
        ("email", 2.0),
        ("phone", 1.0),
        ("address", 1.0),
        ("user_id", 1.0),
    )
    # What each identifier means to someone reading CheckEvent's advice.
    identifier_labels = MappingProxyType(
        {
            "client_id": "the GA client id",
            "email": "a hashed email",
            "phone": "a hashed phone",
            "address": "a postal address",
            "user_id": "your customer id",
        }
    )

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        """GA4's event object and its request-level part, personal data normalised and hashed."""
        return payload.ga4_payload(event, event_name_overrides(destination))

    def test_channel(self, destination: kit.Destination) -> str | None:
        # GA4: every stream has the validation server; test events go there and never reach
        # reports (§2A "Responses and validation").
        return f"validation endpoint {batching.VALIDATION_PATH}"

    # Pure functions of their own modules, with the methods' signatures.
    build_requests = staticmethod(batching.build_requests)
    classify = staticmethod(responses.classify)


@hookimpl
def register_connectors(register: kit.Register) -> None:
    """Entry point ``signalmesh: ga4`` → this hook registers the GA4 connector."""
    register(Ga4Connector())
