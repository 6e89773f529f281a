"""The TikTok Events API 2.0 connector: what SignalMesh needs to send server events to a pixel.

Declarative parts (settings, limits, eligibility per strategy) are data the core and the policy
service read without running code; the four methods are pure and delegate to ``payload``
(prepare), ``batching`` (build_requests) and ``responses`` (classify).

Match quality
-------------
TikTok publishes no match-quality weights (platforms.md §3 has none). The weights below are
**our estimates**: deterministic contact keys first, then the click id, then the browser and
device signals TikTok's payload carries (§3.2, §6.1). They sum to 10.

============ ====== ===============================================================
identifier   weight why (platforms.md)
============ ====== ===============================================================
email        3.0    hashed contact key; the most common deterministic match (§3.2)
phone        2.0    hashed contact key (§3.2)
ttclid       1.5    the ad click itself; valid about 7 days (§3.3, §6.1)
external_id  1.0    hashed advertiser id; matches what the pixel sends (§3.2)
ttp          1.0    the _ttp browser cookie; also TikTok's fallback dedup key (§3.5)
ip           0.75   raw public IP (§3.2)
user_agent   0.75   raw browser UA (§3.2)
============ ====== ===============================================================
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

from signalmesh_tiktok import batching, payload, responses

CONFIG_SCHEMA: tuple[ConfigField, ...] = (
    ConfigField(
        "pixel_code",
        "The TikTok pixel code (sent as event_source_id), e.g. C4ABCDEFGHIJKLMN0123.",
    ),
    ConfigField(
        "access_token",
        "An Events API access token generated for the pixel, e.g. env:TIKTOK_TOKEN.",
        secret=True,
    ),
    ConfigField(
        "base_url",
        "Business API base URL; point it at the SignalMesh sandbox for local runs.",
        required=False,
        default=batching.DEFAULT_BASE_URL,
    ),
    ConfigField(
        "test_event_code",
        "Events Manager → Test Events code; sent with test_mode events only.",
        required=False,
    ),
)

LIMITS = Limits(
    max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
    # TikTok documents no maximum age for event/track [Unconfirmed]; platforms.md §3.3 and §7.1
    # advise 7 days as a conservative cutoff until it is confirmed.
    max_event_age=timedelta(days=7),
)

ELIGIBILITY: Mapping[str, EligibilityRule] = MappingProxyType(
    {
        STRICT: EligibilityRule(
            any_of=(frozenset({"ttclid"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to TikTok only with a click id: ttclid",
        ),
        # TikTok documents no minimum; these are the keys that can identify a person on their
        # own (§3.2, §6.1). IP and user agent alone are only a probabilistic hint.
        SEND_ALL: EligibilityRule(
            any_of=(
                frozenset({"email"}),
                frozenset({"phone"}),
                frozenset({"external_id"}),
                frozenset({"ttclid"}),
                frozenset({"ttp"}),
            ),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail=(
                "TikTok needs a key that identifies a person: add an email, phone, external id, "
                "ttclid or ttp (the _ttp cookie); IP address and user agent alone are not enough"
            ),
        ),
    }
)

# (identifier, weight): see the table in the module docstring.
MATCH_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("email", 3.0),
    ("phone", 2.0),
    ("ttclid", 1.5),
    ("external_id", 1.0),
    ("ttp", 1.0),
    ("ip", 0.75),
    ("user_agent", 0.75),
)
MAX_MATCH_SCORE = 10.0


def match_quality(identifiers: frozenset[str]) -> MatchQuality:
    """Score from the identifiers present; ``missing`` lists what would add most first."""
    score = sum(weight for name, weight in MATCH_WEIGHTS if name in identifiers)
    missing = tuple(name for name, _ in MATCH_WEIGHTS if name not in identifiers)
    return MatchQuality(score=min(score, MAX_MATCH_SCORE), missing=missing)


class TikTokConnector:
    """Sends conversions to ``POST /open_api/v1.3/event/track/`` (platforms.md §3.1)."""

    name: str = "tiktok"
    description: str = "TikTok Events API 2.0: server events for a pixel (Business API v1.3)"
    config_schema: tuple[ConfigField, ...] = CONFIG_SCHEMA
    limits: Limits = LIMITS
    eligibility: Mapping[str, EligibilityRule] = ELIGIBILITY
    # TikTok documents no identifier as required for any event source.
    required_identifiers: Mapping[int, frozenset[str]] = MappingProxyType({})

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        """TikTok's ``data[i]`` object with every contact key normalised and hashed."""
        tiktok_event = payload.tiktok_event(event)
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id,
            event_name=event.event_name,
            destination=destination.name,
            connector=self.name,
            action_source=event.action_source,
            identifiers=tiktok_event.identifiers,
            test_mode=event.test_mode,
        )
        if event.HasField("event_time"):
            prepared.event_time.CopyFrom(event.event_time)
        if event.HasField("consent"):
            prepared.consent.CopyFrom(event.consent)
        prepared.payload_json = canonical_json(tiktok_event.data)
        return prepared

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        return match_quality(frozenset(prepared.identifiers))

    def test_channel(self, destination: Destination) -> str | None:
        # TikTok: test events reach Events Manager → Test Events only with a test_event_code (§3.2).
        code = destination.setting("test_event_code")
        return f"test_event_code {code}" if code else None

    def build_requests(
        self, batch: Sequence[event_pb2.PreparedEvent], destination: Destination
    ) -> list[HttpRequest]:
        return batching.build_requests(batch, destination)

    def classify(self, request: HttpRequest, response: HttpResponse | TransportFailure) -> list[Outcome]:
        return responses.classify(request, response)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Entry point ``signalmesh: tiktok`` → this hook registers the TikTok connector."""
    register(TikTokConnector())
