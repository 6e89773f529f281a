"""The TikTok Events API 2.0 connector: what SignalMesh needs to send server events to a pixel.

Declarative parts (settings, limits, eligibility per strategy, match weights, identifier labels)
are data the core and the policy service read without running code; the methods are pure and
delegate to ``payload`` (the event ``prepare`` wraps), ``batching`` (build_requests) and
``responses`` (classify).

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

from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_tiktok import batching, payload, responses


class TikTokConnector(kit.BaseConnector):
    """Sends conversions to ``POST /open_api/v1.3/event/track/`` (platforms.md §3.1)."""

    name = "tiktok"
    description = "TikTok Events API 2.0: server events for a pixel (Business API v1.3)"
    config_schema: tuple[kit.ConfigField, ...] = (
        kit.ConfigField(
            "pixel_code",
            "The TikTok pixel code (sent as event_source_id), e.g. C4ABCDEFGHIJKLMN0123.",
        ),
        kit.ConfigField(
            "access_token",
            "An Events API access token generated for the pixel, e.g. env:TIKTOK_TOKEN.",
            secret=True,
        ),
        kit.base_url_field(batching.DEFAULT_BASE_URL, "Business API"),
        kit.test_event_code_field(),
    )
    limits = kit.Limits(
        max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
        # TikTok documents no maximum age for event/track [Unconfirmed]; platforms.md §3.3 and §7.1
        # advise 7 days as a conservative cutoff until it is confirmed.
        max_event_age=timedelta(days=7),
    )
    eligibility = kit.eligibility(
        strict=kit.EligibilityRule(
            any_of=(frozenset({"ttclid"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to TikTok only with a click id: ttclid",
        ),
        # TikTok documents no minimum; these are the keys that can identify a person on their
        # own (§3.2, §6.1). IP and user agent alone are only a probabilistic hint.
        send_all=kit.EligibilityRule(
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
    )
    # TikTok documents no identifier as required for any event source: no required_identifiers.
    # (identifier, weight): see the table in the module docstring.
    match_weights = (
        ("email", 3.0),
        ("phone", 2.0),
        ("ttclid", 1.5),
        ("external_id", 1.0),
        ("ttp", 1.0),
        ("ip", 0.75),
        ("user_agent", 0.75),
    )
    # What each identifier means to someone reading CheckEvent's advice.
    identifier_labels = MappingProxyType(
        {
            "email": "a hashed email",
            "phone": "a hashed phone",
            "ttclid": "the TikTok click id",
            "external_id": "your customer id",
            "ttp": "the _ttp browser id",
            "ip": "the client IP address",
            "user_agent": "the browser user agent",
        }
    )
    # batching and responses hold the pure functions, with the methods' signatures.
    build_requests = staticmethod(batching.build_requests)
    classify = staticmethod(responses.classify)

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        """TikTok's ``data[i]`` object with every contact key normalised and hashed."""
        return payload.tiktok_event(event)

    def test_channel(self, destination: kit.Destination) -> str | None:
        # TikTok: test events reach Events Manager → Test Events only with a test_event_code (§3.2).
        return kit.test_event_code_channel(destination)


@hookimpl
def register_connectors(register: kit.Register) -> None:
    """Entry point ``signalmesh: tiktok`` → this hook registers the TikTok connector."""
    register(TikTokConnector())
