"""The Meta (Facebook) Conversions API connector: what SignalMesh needs to send server events to a pixel.

Declarative parts (settings, limits, eligibility per strategy, required identifiers) are data
the core and the policy service read without running code; the four methods are pure and
delegate to ``payload`` (prepare), ``batching`` (build_requests) and ``responses`` (classify).

Match quality
-------------
Meta scores Event Match Quality out of 10 but does not publish weights (platforms.md §1.14).
The weights below are **our estimates**, ordered by what Meta's docs say matters; they sum to
10 so a score reads on Meta's scale. ``fn`` and ``ln`` count only together.

================== ====== ==========================================================
identifier          weight why (source, platforms.md)
================== ====== ==========================================================
em                  2.5    named high quality; the most common deterministic key (M4, §1.12)
ph                  1.5    named high quality (M4, §1.12)
fbc                 1.0    the ad click itself; send whenever available (M7, §1.11)
client_ip_address   1.0    named high quality (M4, §1.12)
fn + ln             1.0    named high quality as a pair; each alone is weak (M4, §1.12)
external_id         0.75   recommended on every event (M4, §1.3)
fbp                 0.75   browser id; send whenever available (M7, §1.11)
client_user_agent   0.5    required for website events; weak alone (M4, §1.12)
db                  0.25   customer information; weak alone (M1)
zp                  0.25   customer information; weak alone (M1)
ct                  0.125  in Meta's "weak set" (§1.12)
st                  0.125  in Meta's "weak set" (§1.12)
country             0.125  in Meta's "weak set" (§1.12)
ge                  0.125  in Meta's "weak set" (§1.12)
================== ====== ==========================================================
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

from signalmesh_meta import batching, payload, responses

CONFIG_SCHEMA: tuple[ConfigField, ...] = (
    ConfigField("pixel_id", "The Meta pixel (dataset) id that receives the events."),
    ConfigField(
        "access_token",
        "A Conversions API (system user) access token for the pixel, e.g. env:META_TOKEN.",
        secret=True,
    ),
    ConfigField("api_version", "Graph API version.", required=False, default=batching.DEFAULT_API_VERSION),
    ConfigField(
        "base_url",
        "Graph API base URL; point it at the SignalMesh sandbox for local runs.",
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
    # Meta: event_time at most 7 days old; one stale event fails the whole request (§1.7).
    max_event_age=timedelta(days=7),
    # Meta: physical_store events may be uploaded up to 62 days later (§1.7).
    max_event_age_by_action_source=MappingProxyType(
        {event_pb2.ACTION_SOURCE_PHYSICAL_STORE: timedelta(days=62)}
    ),
)

ELIGIBILITY: Mapping[str, EligibilityRule] = MappingProxyType(
    {
        STRICT: EligibilityRule(
            any_of=(frozenset({"fbc"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to Meta only with a click id: fbc, or fbclid (+ click_time)",
        ),
        # Meta: at least one customer-information key, and not only one of the weak sets
        # ct+country+st+zp+ge+client_user_agent, db+client_user_agent, fn+ge, ln+ge (§1.12).
        SEND_ALL: EligibilityRule(
            any_of=(
                frozenset({"em"}),
                frozenset({"ph"}),
                frozenset({"external_id"}),
                frozenset({"client_ip_address"}),
                frozenset({"fbc"}),
                frozenset({"fbp"}),
                frozenset({"fn", "ln"}),
                frozenset({"db", "fn"}),
                frozenset({"db", "ln"}),
            ),
            reason=policy_pb2.REASON_INSUFFICIENT_USER_DATA,
            detail=(
                "Meta needs more customer information than city, state, zip, country, gender and "
                "user agent: add an email, phone, external id, client IP address, fbc/fbclid or fbp, "
                "or first and last name (or a name with date of birth)"
            ),
        ),
    }
)

# Meta: website events need event_source_url and user_data.client_user_agent (§1.3).
REQUIRED_IDENTIFIERS: Mapping[int, frozenset[str]] = MappingProxyType(
    {
        event_pb2.ACTION_SOURCE_WEBSITE: frozenset({"client_user_agent", "event_source_url"}),
    }
)

# (identifiers that must all be present, weight): see the table in the module docstring.
MATCH_WEIGHTS: tuple[tuple[frozenset[str], float], ...] = (
    (frozenset({"em"}), 2.5),
    (frozenset({"ph"}), 1.5),
    (frozenset({"fbc"}), 1.0),
    (frozenset({"client_ip_address"}), 1.0),
    (frozenset({"fn", "ln"}), 1.0),
    (frozenset({"external_id"}), 0.75),
    (frozenset({"fbp"}), 0.75),
    (frozenset({"client_user_agent"}), 0.5),
    (frozenset({"db"}), 0.25),
    (frozenset({"zp"}), 0.25),
    (frozenset({"ct"}), 0.125),
    (frozenset({"st"}), 0.125),
    (frozenset({"country"}), 0.125),
    (frozenset({"ge"}), 0.125),
)
MAX_MATCH_SCORE = 10.0


def match_quality(identifiers: frozenset[str]) -> MatchQuality:
    """Score from the identifiers present; ``missing`` lists what would add most first.

    A partly present pair is reported by its missing half (``ln`` when only ``fn`` is present),
    a wholly missing pair as ``fn+ln``.
    """
    score = 0.0
    gains: list[tuple[float, int, str]] = []
    for position, (needed, weight) in enumerate(MATCH_WEIGHTS):
        absent = needed - identifiers
        if not absent:
            score += weight
        else:
            gains.append((-weight, position, "+".join(sorted(absent))))
    return MatchQuality(score=min(score, MAX_MATCH_SCORE), missing=tuple(name for *_, name in sorted(gains)))


class MetaConnector:
    """Sends conversions to ``POST /{api_version}/{pixel_id}/events`` (platforms.md §1.1)."""

    name: str = "meta"
    description: str = "Meta (Facebook) Conversions API: server events for a pixel (dataset)"
    config_schema: tuple[ConfigField, ...] = CONFIG_SCHEMA
    limits: Limits = LIMITS
    eligibility: Mapping[str, EligibilityRule] = ELIGIBILITY
    required_identifiers: Mapping[int, frozenset[str]] = REQUIRED_IDENTIFIERS

    def prepare(self, event: event_pb2.ConversionEvent, destination: Destination) -> event_pb2.PreparedEvent:
        """Meta's ``data[i]`` object with every customer-information key normalised and hashed."""
        meta_event = payload.meta_event(event)
        prepared = event_pb2.PreparedEvent(
            event_id=event.event_id,
            event_name=event.event_name,
            destination=destination.name,
            connector=self.name,
            action_source=event.action_source,
            identifiers=meta_event.identifiers,
            test_mode=event.test_mode,
        )
        if event.HasField("event_time"):
            prepared.event_time.CopyFrom(event.event_time)
        if event.HasField("consent"):
            prepared.consent.CopyFrom(event.consent)
        prepared.payload_json = canonical_json(meta_event.data)
        return prepared

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        return match_quality(frozenset(prepared.identifiers))

    def test_channel(self, destination: Destination) -> str | None:
        # Meta: test events go to Events Manager → Test Events only with a test_event_code.
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
    """Entry point ``signalmesh: meta`` → this hook registers the Meta connector."""
    register(MetaConnector())
