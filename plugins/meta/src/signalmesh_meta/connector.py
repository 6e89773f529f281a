"""The Meta (Facebook) Conversions API connector: what SignalMesh needs to send server events to a pixel.

Declarative parts (settings, limits, eligibility per strategy, required identifiers, match
weights, identifier labels) are data the core and the policy service read without running
code; the methods are pure and delegate to ``payload`` (the event ``prepare`` wraps),
``batching`` (build_requests), ``responses`` (classify) and ``checks`` (check_event).

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

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from signalmesh.connector import kit
from signalmesh.hookspecs import hookimpl
from signalmesh.v1 import event_pb2, policy_pb2

from signalmesh_meta import batching, checks, payload, responses


class MetaConnector(kit.BaseConnector):
    """Sends conversions to ``POST /{api_version}/{pixel_id}/events`` (platforms.md §1.1)."""

    name = "meta"
    description = "Meta (Facebook) Conversions API: server events for a pixel (dataset)"
    config_schema: tuple[kit.ConfigField, ...] = (
        kit.ConfigField("pixel_id", "The Meta pixel (dataset) id that receives the events."),
        kit.ConfigField(
            "access_token",
            "A Conversions API (system user) access token for the pixel, e.g. env:META_TOKEN.",
            secret=True,
        ),
        kit.ConfigField(
            "api_version", "Graph API version.", required=False, default=batching.DEFAULT_API_VERSION
        ),
        kit.base_url_field(batching.DEFAULT_BASE_URL, "Graph API"),
        kit.test_event_code_field(),
    )
    limits = kit.Limits(
        max_events_per_request=batching.MAX_EVENTS_PER_REQUEST,
        # Meta: event_time at most 7 days old; one stale event fails the whole request (§1.7).
        max_event_age=timedelta(days=7),
        # Meta: physical_store events may be uploaded up to 62 days later (§1.7).
        max_event_age_by_action_source=MappingProxyType(
            {event_pb2.ACTION_SOURCE_PHYSICAL_STORE: timedelta(days=62)}
        ),
    )
    eligibility = kit.eligibility(
        strict=kit.EligibilityRule(
            any_of=(frozenset({"fbc"}),),
            reason=policy_pb2.REASON_MISSING_CLICK_ID,
            detail="strict sends to Meta only with a click id: fbc, or fbclid (+ click_time)",
        ),
        # Meta: at least one customer-information key, and not only one of the weak sets
        # ct+country+st+zp+ge+client_user_agent, db+client_user_agent, fn+ge, ln+ge (§1.12).
        send_all=kit.EligibilityRule(
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
    )
    # Meta: website events need event_source_url and user_data.client_user_agent (§1.3).
    required_identifiers: Mapping[int, frozenset[str]] = MappingProxyType(
        {
            event_pb2.ACTION_SOURCE_WEBSITE: frozenset({"client_user_agent", "event_source_url"}),
        }
    )
    # (identifier, or identifiers that count only together; weight): the module docstring's table.
    match_weights = (
        ("em", 2.5),
        ("ph", 1.5),
        ("fbc", 1.0),
        ("client_ip_address", 1.0),
        (frozenset({"fn", "ln"}), 1.0),
        ("external_id", 0.75),
        ("fbp", 0.75),
        ("client_user_agent", 0.5),
        ("db", 0.25),
        ("zp", 0.25),
        ("ct", 0.125),
        ("st", 0.125),
        ("country", 0.125),
        ("ge", 0.125),
    )
    # What each identifier means to someone reading CheckEvent's advice.
    identifier_labels = MappingProxyType(
        {
            "em": "a hashed email",
            "ph": "a hashed phone",
            "fn": "a first name",
            "ln": "a last name",
            "fn+ln": "first and last name",
            "ge": "gender",
            "db": "date of birth",
            "ct": "city",
            "st": "state",
            "zp": "zip code",
            "country": "country",
            "external_id": "your customer id",
            "fbc": "the click id (fbc or fbclid)",
            "fbp": "the _fbp browser id",
            "client_ip_address": "the client IP address",
            "client_user_agent": "the browser user agent",
        }
    )

    def platform_event(
        self, event: event_pb2.ConversionEvent, destination: kit.Destination
    ) -> kit.PlatformEvent:
        """Meta's ``data[i]`` object with every customer-information key normalised and hashed."""
        return payload.meta_event(event)

    def check_event(self, event: event_pb2.ConversionEvent) -> list[kit.FieldProblem]:
        return checks.problems(event)

    def test_channel(self, destination: kit.Destination) -> str | None:
        # Meta: test events go to Events Manager → Test Events only with a test_event_code.
        return kit.test_event_code_channel(destination)

    # Pure functions of their own modules, with the methods' signatures.
    build_requests = staticmethod(batching.build_requests)
    classify = staticmethod(responses.classify)


@hookimpl
def register_connectors(register: kit.Register) -> None:
    """Entry point ``signalmesh: meta`` → this hook registers the Meta connector."""
    register(MetaConnector())
