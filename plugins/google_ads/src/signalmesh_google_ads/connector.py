"""The Google Ads click-conversion connector: offline conversions through ``uploadClickConversions``.

Declarative parts (settings, limits, eligibility per strategy, match weights, identifier labels)
are data the core and the policy service read without running code; the methods are pure and
delegate to ``payload`` (the event ``prepare`` wraps), ``batching`` (build_requests),
``responses`` (classify) and ``checks`` (check_event).

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

from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_google_ads import batching, checks, payload, responses, settings

_MAPPING_HINT = (
    "and the event name mapped to a numeric conversion action id under "
    '[destinations.NAME.conversion_actions], e.g. Purchase = "123456789"'
)


# Google Ads API path: a conversion is attributed through gclid, wbraid or gbraid, **or** through
# sufficient hashed identifiers — enhanced conversions for leads match a hashed email or phone to
# a signed-in user without a click id (§2B "Enhanced conversions for leads", G8). Both are ways
# Google can attribute the conversion, so strict takes either; the decision's detail names the
# path that made an event eligible. Both strategies need the conversion action.
_IDENTIFIER_PATHS = (
    frozenset({"click_id", "conversion_action"}),
    frozenset({"email", "conversion_action"}),
    frozenset({"phone", "conversion_action"}),
)
_PATH_LABELS = (
    "the click id (gclid, wbraid or gbraid)",
    "enhanced conversions: a hashed email, no click id",
    "enhanced conversions: a hashed phone, no click id",
)

class GoogleAdsConnector(kit.BaseConnector):
    """Sends conversions to ``POST /{api_version}/customers/{customer_id}:uploadClickConversions`` (§2B)."""

    name = "google_ads"
    description = "Google Ads: offline click conversions and enhanced conversions for leads"
    config_schema: tuple[kit.ConfigField, ...] = (
        kit.ConfigField(
            "customer_id",
            "The Google Ads account (customer) id that owns the conversion actions, e.g. 1234567890.",
        ),
        kit.ConfigField(
            "access_token",
            "An OAuth 2 access token with the https://www.googleapis.com/auth/adwords scope, "
            "e.g. env:GOOGLE_ADS_TOKEN.",
            secret=True,
        ),
        kit.ConfigField(
            "developer_token",
            "The Google Ads API developer token, e.g. env:GOOGLE_ADS_DEVELOPER_TOKEN.",
            secret=True,
        ),
        kit.ConfigField(
            settings.CONVERSION_ACTIONS,
            "Event name → conversion action id, as a table: "
            '[destinations.NAME.conversion_actions] Purchase = "123456789". '
            "Unmapped event names are skipped.",
        ),
        kit.ConfigField(
            "login_customer_id",
            "The manager (MCC) account id to act through, when the access token belongs to a manager.",
            required=False,
        ),
        kit.ConfigField(
            "api_version", "Google Ads API version.", required=False, default=settings.DEFAULT_API_VERSION
        ),
        kit.base_url_field(settings.DEFAULT_BASE_URL, "Google Ads API"),
    )
    limits = kit.Limits(
        max_events_per_request=batching.MAX_CONVERSIONS_PER_REQUEST,
        # Google Ads: the real limit is each conversion action's click-through window, at most 90 days
        # (§6.2); the connector cannot read the action's setting, so it uses the ceiling. Older
        # conversions inside a shorter window come back as EXPIRED_EVENT (rejected).
        max_event_age=timedelta(days=90),
    )
    eligibility = kit.eligibility(
        strict=kit.EligibilityRule(
            any_of=_IDENTIFIER_PATHS,
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to Google Ads with a click id (gclid, wbraid, gbraid) or, through "
            f"enhanced conversions, a hashed email or phone, {_MAPPING_HINT}",
            paths=_PATH_LABELS,
        ),
        # Google wants all leads uploaded, not only those from ads (§2B, G8): send_all takes the
        # same paths; it differs from strict only in the reason it gives when none is there.
        send_all=kit.EligibilityRule(
            any_of=_IDENTIFIER_PATHS,
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail=f"Google Ads needs a click id (gclid, wbraid, gbraid), an email or phone {_MAPPING_HINT}",
            paths=_PATH_LABELS,
        ),
    )
    # No required_identifiers: Google Ads needs no field per action source beyond the strategies.
    # (identifier, weight): see the table in the module docstring.
    match_weights = (("click_id", 6.0), ("email", 2.5), ("phone", 1.5))
    # What each identifier means to someone reading CheckEvent's advice.
    identifier_labels = MappingProxyType(
        {
            "click_id": "a click id",
            "email": "a hashed email",
            "phone": "a hashed phone",
            "conversion_action": "a conversion action for the event name",
        }
    )

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        """Google's ``ClickConversion`` with emails and phones normalised and hashed."""
        # The customer id is only reshaped here (dashes dropped); build_requests validates it, so
        # a bad setting stops this destination's dispatch instead of every client's ingest.
        customer = settings.account_digits(destination.setting("customer_id"))
        action_id = settings.conversion_action_id(destination, event.event_name)
        return payload.click_conversion(event, customer, action_id)

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> kit.MatchQuality:
        """The weights of the identifiers present; 0 without a conversion action: never sent."""
        quality = kit.weighted_match_quality(prepared.identifiers, self.match_weights)
        if "conversion_action" not in prepared.identifiers:
            return kit.MatchQuality(score=0.0, missing=("conversion_action", *quality.missing))
        return quality

    def check_event(self, event: event_pb2.ConversionEvent) -> list[kit.FieldProblem]:
        return checks.problems(event)

    def test_channel(self, destination: kit.Destination) -> str | None:
        # Google Ads: validate_only checks the upload and records nothing (§2B, §6.3).
        return "validate_only"

    # Pure functions of their own modules, with the methods' signatures.
    build_requests = staticmethod(batching.build_requests)
    classify = staticmethod(responses.classify)


@hookimpl
def register_connectors(register: kit.Register) -> None:
    """Entry point ``signalmesh: google_ads`` → this hook registers the Google Ads connector."""
    register(GoogleAdsConnector())
