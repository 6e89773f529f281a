"""The LinkedIn Conversions API connector: what SignalMesh needs to send server events to LinkedIn.

Declarative parts (settings, limits, eligibility per strategy, match weights) are data the core
and the policy service read without running code; the methods are pure and delegate to
``payload`` (the event ``prepare`` wraps), ``batching`` (build_requests) and ``responses`` (classify).

Every event name must be mapped to a LinkedIn conversion rule (``conversion_rules`` setting):
the rule, not the event, says what was converted (platforms.md §4.1). ``prepare`` reports the
identifier ``conversion_rule`` only for mapped names, and both strategies require it, so policy
skips an unmapped event with a detail naming the setting instead of sending it to fail.

Match quality
-------------
LinkedIn publishes no match-quality score or weights. The weights below are **our estimates**
on a 0–10 scale, for the only two identifiers this connector sends (platforms.md §4.3):

============ ====== ===================================================================
identifier    weight why
============ ====== ===================================================================
li_fat_id     5.5    ties the conversion to the ad click itself (§4.4); needs enhanced
                     conversion tracking on the Insight Tag
email         4.5    SHA-256 email matched against members (§4.3); no phone, and names
                     are plain text only, which SignalMesh never sends (see ``payload``)
============ ====== ===================================================================
"""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_linkedin import batching, payload, responses
from signalmesh_linkedin.payload import CLICK_ID, CONVERSION_RULE, EMAIL

_ADD_A_RULE = (
    "map the event name to a LinkedIn conversion rule: add "
    '[destinations.<name>.conversion_rules] <event name> = "<rule id>" to signalmesh.toml'
)


class LinkedInConnector(kit.BaseConnector):
    """Sends conversions to ``POST /rest/conversionEvents`` as BATCH_CREATE (platforms.md §4.1)."""

    name = "linkedin"
    description = "LinkedIn Conversions API: server events for Campaign Manager conversion rules"
    config_schema: tuple[kit.ConfigField, ...] = (
        kit.ConfigField(
            "access_token",
            "A LinkedIn access token with the rw_conversions scope, e.g. env:LINKEDIN_TOKEN.",
            secret=True,
        ),
        kit.ConfigField(
            payload.CONVERSION_RULES_SETTING,
            "A table mapping event names to LinkedIn conversion rule ids, e.g. "
            '[destinations.NAME.conversion_rules] Purchase = "123456"; unmapped events are skipped.',
        ),
        kit.ConfigField(
            "api_version",
            "LinkedIn-Version (YYYYMM). Versions sunset after about 12 months, and a sunset version "
            "fails every call: move it forward at least once a year.",
            required=False,
            default=batching.DEFAULT_API_VERSION,
        ),
        kit.base_url_field(batching.DEFAULT_BASE_URL, "LinkedIn REST API"),
    )
    limits = kit.Limits(
        max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
        # LinkedIn: conversionHappenedAt within the past 90 days; older events are rejected (§4.3).
        max_event_age=timedelta(days=90),
        # LinkedIn: 600 requests per minute per token (§4.6).
        requests_per_second=10.0,
    )
    eligibility = kit.eligibility(
        strict=kit.EligibilityRule(
            any_of=(frozenset({CLICK_ID, CONVERSION_RULE}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail=(
                "strict sends to LinkedIn only with the li_fat_id click id and a conversion rule "
                f"for the event name; if li_fat_id is present, {_ADD_A_RULE}"
            ),
        ),
        # LinkedIn: at least one userIds entry (or userInfo, externalIds, lead, none of which
        # SignalMesh sends) (§4.3).
        send_all=kit.EligibilityRule(
            any_of=(frozenset({EMAIL, CONVERSION_RULE}), frozenset({CLICK_ID, CONVERSION_RULE})),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail=(
                "LinkedIn needs an email or the li_fat_id click id, and a conversion rule for the "
                f"event name; if one of them is present, {_ADD_A_RULE}"
            ),
        ),
    )
    # No required_identifiers: LinkedIn has no action_source field at all.
    # (identifier, weight): see the table in the module docstring. Most valuable first.
    match_weights = ((CLICK_ID, 5.5), (EMAIL, 4.5))
    # What each identifier means to someone reading CheckEvent's advice.
    identifier_labels = MappingProxyType(
        {
            CLICK_ID: "the LinkedIn click id",
            EMAIL: "a hashed email",
            CONVERSION_RULE: "a conversion rule for the event name",
        }
    )

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        """LinkedIn's event object: hashed email, raw li_fat_id, the mapped rule; no names."""
        return payload.linkedin_event(event, destination)

    def test_channel(self, destination: kit.Destination) -> str | None:
        # LinkedIn has no test mode: verify in Campaign Manager reporting (platforms.md §6.3).
        # Policy therefore skips test_mode events (reason no_test_channel) rather than send them live.
        return None

    # Pure functions of their own modules, with the methods' signatures.
    build_requests = staticmethod(batching.build_requests)
    classify = staticmethod(responses.classify)


@hookimpl
def register_connectors(register: kit.Register) -> None:
    """Entry point ``signalmesh: linkedin`` → this hook registers the LinkedIn connector."""
    register(LinkedInConnector())
