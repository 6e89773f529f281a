"""The Google Ads click-conversion connector: offline conversions through ``uploadClickConversions``.

Declarative parts (settings, limits, eligibility per strategy) are data the core and the policy
service read without running code; the four methods are pure and delegate to ``payload``
(prepare), ``batching`` (build_requests) and ``responses`` (classify).

Which conversion action an event counts for is a per-destination table keyed by event name
(``conversion_actions``). An event whose name is not in it is still prepared, without the
``conversion_action`` identifier, and both strategies require that identifier: the policy skips
the event and says which setting to add, instead of Google refusing every upload of it.

Match quality
-------------
Google publishes no match score for click uploads. The weights below are **our estimates**; they
sum to 10 so a score reads on the same scale as other connectors. An event without a conversion
action scores 0: it is never sent.

=========== ====== ====================================================================
identifier  weight why (source, platforms.md)
=========== ====== ====================================================================
click_id    6.0    gclid / wbraid / gbraid names the ad click itself: attribution is exact (§2B)
email       2.5    enhanced conversions for leads match hashed emails to signed-in users (G8)
phone       1.5    also matched by ECL, less often present and less often matched (G8)
=========== ====== ====================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import (
    SEND_ALL,
    STRICT,
    ConfigField,
    Connector,
    Destination,
    EligibilityRule,
    HttpRequest,
    HttpResponse,
    Limits,
    MatchQuality,
    Outcome,
    TransportFailure,
    canonical_json,
)
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_google_ads import batching, payload, responses, settings

CONFIG_SCHEMA: tuple[ConfigField, ...] = (
    ConfigField(
        "customer_id",
        "The Google Ads account (customer) id that owns the conversion actions, e.g. 1234567890.",
    ),
    ConfigField(
        "access_token",
        "An OAuth 2 access token with the https://www.googleapis.com/auth/adwords scope, "
        "e.g. env:GOOGLE_ADS_TOKEN.",
        secret=True,
    ),
    ConfigField(
        "developer_token",
        "The Google Ads API developer token, e.g. env:GOOGLE_ADS_DEVELOPER_TOKEN.",
        secret=True,
    ),
    ConfigField(
        settings.CONVERSION_ACTIONS,
        "Event name → conversion action id, as a table: "
        '[destinations.NAME.conversion_actions] Purchase = "123456789". Unmapped event names are skipped.',
    ),
    ConfigField(
        "login_customer_id",
        "The manager (MCC) account id to act through, when the access token belongs to a manager.",
        required=False,
    ),
    ConfigField(
        "api_version", "Google Ads API version.", required=False, default=settings.DEFAULT_API_VERSION
    ),
    ConfigField(
        "base_url",
        "Google Ads API base URL; point it at the SignalMesh sandbox for local runs.",
        required=False,
        default=settings.DEFAULT_BASE_URL,
    ),
)

LIMITS = Limits(
    max_events_per_request=batching.MAX_CONVERSIONS_PER_REQUEST,
    # Google Ads: the real limit is each conversion action's click-through window, at most 90 days
    # (§6.2); the connector cannot read the action's setting, so it uses the ceiling. Older
    # conversions inside a shorter window come back as EXPIRED_EVENT (rejected).
    max_event_age=timedelta(days=90),
)

_MAPPING_HINT = (
    "and the event name mapped to a numeric conversion action id under "
    '[destinations.NAME.conversion_actions], e.g. Purchase = "123456789"'
)
ELIGIBILITY: Mapping[str, EligibilityRule] = MappingProxyType(
    {
        STRICT: EligibilityRule(
            any_of=(frozenset({"click_id", "conversion_action"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail=f"strict sends to Google Ads only with a click id (gclid, wbraid, gbraid) {_MAPPING_HINT}",
        ),
        # Google Ads: enhanced conversions for leads upload hashed email or phone without a click id,
        # and Google wants all leads uploaded, not only those from ads (§2B, G8).
        SEND_ALL: EligibilityRule(
            any_of=(
                frozenset({"click_id", "conversion_action"}),
                frozenset({"email", "conversion_action"}),
                frozenset({"phone", "conversion_action"}),
            ),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail=f"Google Ads needs a click id (gclid, wbraid, gbraid), an email or phone {_MAPPING_HINT}",
        ),
    }
)

# (identifier, weight): see the table in the module docstring.
MATCH_WEIGHTS: tuple[tuple[str, float], ...] = (("click_id", 6.0), ("email", 2.5), ("phone", 1.5))


def match_quality(identifiers: frozenset[str]) -> MatchQuality:
    """Score from the identifiers present; ``missing`` lists what would add most first."""
    missing = tuple(name for name, _ in MATCH_WEIGHTS if name not in identifiers)
    if "conversion_action" not in identifiers:
        return MatchQuality(score=0.0, missing=("conversion_action", *missing))
    score = sum(weight for name, weight in MATCH_WEIGHTS if name in identifiers)
    return MatchQuality(score=score, missing=missing)


class GoogleAdsConnector:
    """Sends conversions to ``POST /{api_version}/customers/{customer_id}:uploadClickConversions`` (§2B)."""

    name: str = "google_ads"
    description: str = "Google Ads: offline click conversions and enhanced conversions for leads"
    config_schema: tuple[ConfigField, ...] = CONFIG_SCHEMA
    limits: Limits = LIMITS
    eligibility: Mapping[str, EligibilityRule] = ELIGIBILITY
    # Google Ads needs no field per action source beyond what the strategies already require.
    required_identifiers: Mapping[int, frozenset[str]] = MappingProxyType({})

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        """Google's ``ClickConversion`` with emails and phones normalised and hashed."""
        # The customer id is only reshaped here (dashes dropped); build_requests validates it, so
        # a bad setting stops this destination's dispatch instead of every client's ingest.
        customer = settings.account_digits(destination.setting("customer_id"))
        action_id = settings.conversion_action_id(destination, event.event_name)
        conversion = payload.click_conversion(event, customer, action_id)
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id,
            event_name=event.event_name,
            destination=destination.name,
            connector=self.name,
            action_source=event.action_source,
            identifiers=conversion.identifiers,
            test_mode=event.test_mode,
        )
        if event.HasField("event_time"):
            prepared.event_time.CopyFrom(event.event_time)
        if event.HasField("consent"):
            prepared.consent.CopyFrom(event.consent)
        prepared.payload_json = canonical_json(conversion.data)
        return prepared

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        return match_quality(frozenset(prepared.identifiers))

    def test_channel(self, destination: Destination) -> str | None:
        # Google Ads: validate_only checks the upload and records nothing (§2B, §6.3).
        return "validate_only"

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        return batching.build_requests(batch, destination)

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        return responses.classify(request, response)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Entry point ``signalmesh: google_ads`` → this hook registers the Google Ads connector."""
    register(GoogleAdsConnector())
