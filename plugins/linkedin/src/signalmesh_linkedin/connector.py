"""The LinkedIn Conversions API connector: what SignalMesh needs to send server events to LinkedIn.

Declarative parts (settings, limits, eligibility per strategy) are data the core and the policy
service read without running code; the four methods are pure and delegate to ``payload``
(prepare), ``batching`` (build_requests) and ``responses`` (classify).

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

from signalmesh_linkedin import batching, payload, responses
from signalmesh_linkedin.payload import CLICK_ID, CONVERSION_RULE, EMAIL

CONFIG_SCHEMA: tuple[ConfigField, ...] = (
    ConfigField(
        "access_token",
        "A LinkedIn access token with the rw_conversions scope, e.g. env:LINKEDIN_TOKEN.",
        secret=True,
    ),
    ConfigField(
        payload.CONVERSION_RULES_SETTING,
        "A table mapping event names to LinkedIn conversion rule ids, e.g. "
        '[destinations.NAME.conversion_rules] Purchase = "123456"; unmapped events are skipped.',
    ),
    ConfigField(
        "api_version",
        "LinkedIn-Version (YYYYMM). Versions sunset after about 12 months, and a sunset version "
        "fails every call: move it forward at least once a year.",
        required=False,
        default=batching.DEFAULT_API_VERSION,
    ),
    ConfigField(
        "base_url",
        "LinkedIn REST API base URL; point it at the SignalMesh sandbox for local runs.",
        required=False,
        default=batching.DEFAULT_BASE_URL,
    ),
)

LIMITS = Limits(
    max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
    # LinkedIn: conversionHappenedAt within the past 90 days; older events are rejected (§4.3).
    max_event_age=timedelta(days=90),
    # LinkedIn: 600 requests per minute per token (§4.6).
    requests_per_second=10.0,
)

_ADD_A_RULE = (
    "map the event name to a LinkedIn conversion rule: add "
    '[destinations.<name>.conversion_rules] <event name> = "<rule id>" to signalmesh.toml'
)
ELIGIBILITY: Mapping[str, EligibilityRule] = MappingProxyType(
    {
        STRICT: EligibilityRule(
            any_of=(frozenset({CLICK_ID, CONVERSION_RULE}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail=(
                "strict sends to LinkedIn only with the li_fat_id click id and a conversion rule "
                f"for the event name; if li_fat_id is present, {_ADD_A_RULE}"
            ),
        ),
        # LinkedIn: at least one userIds entry (or userInfo, externalIds, lead, none of which
        # SignalMesh sends) (§4.3).
        SEND_ALL: EligibilityRule(
            any_of=(frozenset({EMAIL, CONVERSION_RULE}), frozenset({CLICK_ID, CONVERSION_RULE})),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail=(
                "LinkedIn needs an email or the li_fat_id click id, and a conversion rule for the "
                f"event name; if one of them is present, {_ADD_A_RULE}"
            ),
        ),
    }
)

# (identifier, weight): see the table in the module docstring. Most valuable first.
MATCH_WEIGHTS: tuple[tuple[str, float], ...] = ((CLICK_ID, 5.5), (EMAIL, 4.5))


def match_quality(identifiers: frozenset[str]) -> MatchQuality:
    """Score from the identifiers present; ``missing`` lists what would add most first."""
    score = sum(weight for name, weight in MATCH_WEIGHTS if name in identifiers)
    missing = tuple(name for name, _ in MATCH_WEIGHTS if name not in identifiers)
    return MatchQuality(score=score, missing=missing)


class LinkedInConnector:
    """Sends conversions to ``POST /rest/conversionEvents`` as BATCH_CREATE (platforms.md §4.1)."""

    name: str = "linkedin"
    description: str = "LinkedIn Conversions API: server events for Campaign Manager conversion rules"
    config_schema: tuple[ConfigField, ...] = CONFIG_SCHEMA
    limits: Limits = LIMITS
    eligibility: Mapping[str, EligibilityRule] = ELIGIBILITY
    # LinkedIn requires nothing per action source: it has no action_source field at all.
    required_identifiers: Mapping[int, frozenset[str]] = MappingProxyType({})

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        """LinkedIn's event object: hashed email, raw li_fat_id, the mapped rule; no names."""
        linkedin_event = payload.linkedin_event(event, destination)
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id,
            event_name=event.event_name,
            destination=destination.name,
            connector=self.name,
            action_source=event.action_source,
            identifiers=linkedin_event.identifiers,
            test_mode=event.test_mode,
        )
        if event.HasField("event_time"):
            prepared.event_time.CopyFrom(event.event_time)
        if event.HasField("consent"):
            prepared.consent.CopyFrom(event.consent)
        prepared.payload_json = canonical_json(linkedin_event.element)
        return prepared

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        return match_quality(frozenset(prepared.identifiers))

    def test_channel(self, destination: Destination) -> str | None:
        # LinkedIn has no test mode: verify in Campaign Manager reporting (platforms.md §6.3).
        # Policy therefore skips test_mode events (reason no_test_channel) rather than send them live.
        return None

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        return batching.build_requests(batch, destination)

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        return responses.classify(request, response)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Entry point ``signalmesh: linkedin`` → this hook registers the LinkedIn connector."""
    register(LinkedInConnector())
