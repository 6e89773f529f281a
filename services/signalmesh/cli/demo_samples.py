"""What `signalmesh demo` runs: its signalmesh.toml (five destinations on the sandbox, one
tracking-plan rule) and the sample events, each chosen to show one decision the product makes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from signalmesh.v1 import event_pb2

DEMO_CONFIG = """\
state_dir = "{state_dir}"

[gateway]
listen = "127.0.0.1:0"

[policy]
listen = "127.0.0.1:0"
default_strategy = "strict"

[dispatcher]
linger = "5ms"
poll_interval = "20ms"

# The demo ends with its alerts: evaluate every second instead of every minute.
[alerts]
evaluate_every = "1s"

# Two Meta pixels: one under the global strict strategy, one overridden to send_all.
[destinations.meta_strict]
connector = "meta"
pixel_id = "1111111111"
access_token = "{token}"
base_url = "http://{sandbox}"

[destinations.meta_send_all]
connector = "meta"
strategy = "send_all"
pixel_id = "2222222222"
access_token = "{token}"
base_url = "http://{sandbox}"

# TikTok and GA4 under strict: TikTok needs its click id (ttclid), GA4 its client id.
[destinations.tiktok]
connector = "tiktok"
pixel_code = "CDEMOTIKTOKPIXEL0001"
access_token = "{token}"
base_url = "http://{sandbox}"

[destinations.ga4]
connector = "ga4"
measurement_id = "G-DEMO0001"
api_secret = "{token}"
base_url = "http://{sandbox}"

# Every accepted conversion to the CRM, signed with HMAC-SHA256.
[destinations.crm]
connector = "webhook"
strategy = "send_all"
url = "http://{sandbox}/webhook/crm"
secret = "demo-signing-secret"

# The business's own rule: a Purchase is a paid order, never a failed payment.
[tracking_plan.Purchase]
required = ["order_id", "value", "currency"]
custom_properties = {{ payment_status = "succeeded" }}
"""
# destination → (sandbox platform, the destination's key in the sandbox's record)
SANDBOX_KEYS = {
    "meta_strict": ("meta", "1111111111"),
    "meta_send_all": ("meta", "2222222222"),
    "tiktok": ("tiktok", "CDEMOTIKTOKPIXEL0001"),
    "ga4": ("ga4", "G-DEMO0001"),
    "crm": ("webhook", "crm"),
}


@dataclass(frozen=True, slots=True)
class Sample:
    label: str
    event: event_pb2.ConversionEvent


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def sample_events(now: float) -> list[Sample]:
    """One event per behaviour worth seeing. Personal data here is fictitious."""
    browser = event_pb2.UserData(client_ip_address="203.0.113.7", client_user_agent="Mozilla/5.0 (demo)")

    def event(event_id: str, name: str, minutes_ago: float, **fields: object) -> event_pb2.ConversionEvent:
        base = event_pb2.ConversionEvent(
            event_id=event_id,
            event_name=name,
            event_time=_timestamp(now - minutes_ago * 60),
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example.com/checkout/thanks",
        )
        base.MergeFrom(event_pb2.ConversionEvent(**fields))  # type: ignore[arg-type]
        if name == "Purchase" and "payment_status" not in base.custom_properties.fields:
            base.custom_properties.update({"payment_status": "succeeded"})
        return base

    def purchase(order: str, minutes_ago: float, **fields: object) -> event_pb2.ConversionEvent:
        # The demo shop's order ids: event id "order-1001" is order 1001.
        return event(f"order-{order}", "Purchase", minutes_ago, order_id=order, **fields)

    user = event_pb2.UserData(emails=["Jane.Doe@Example.com"], phones=["+1 (650) 555-1212"], country="US")
    user.MergeFrom(browser)
    clicked = purchase(
        "1001",
        3,
        user_data=user,
        click_ids=event_pb2.ClickIds(
            fbclid="IwAR2demoClickId",
            click_time=_timestamp(now - 3600),
            ttclid="E.C.P.demoTikTokClick",
            ga_client_id="1234567890.1700000000",
        ),
        value="129.90",
        currency="USD",
    )
    organic_user = event_pb2.UserData(emails=["sam@example.org"], first_name="Sam", last_name="Lee")
    organic_user.MergeFrom(browser)
    organic = purchase(
        "1002",
        2,
        user_data=organic_user,
        value="45.00",
        currency="EUR",
        click_ids=event_pb2.ClickIds(ga_client_id="987654321.1700000000"),
    )
    weak_user = event_pb2.UserData(city="Paris", country="FR")
    weak_user.MergeFrom(event_pb2.UserData(client_user_agent="Mozilla/5.0 (demo)"))
    weak = event("lead-2001", "Lead", 5, user_data=weak_user)
    meta_click = event_pb2.ClickIds(fbc="fb.1.1554763741205.AbCdEf")
    ten_days = 10 * 24 * 60
    stale = purchase("0999", ten_days, user_data=user, value="10.00", currency="USD", click_ids=meta_click)
    invalid = purchase("1003", 1, user_data=event_pb2.UserData(emails=["not-an-email"]), value="$29.99")
    failed = purchase("1004", 1, user_data=user, value="59.00", currency="USD", click_ids=meta_click)
    failed.custom_properties.update({"payment_status": "failed"})
    return [
        Sample("purchase after an ad click", clicked),
        Sample("organic purchase (no click id)", organic),
        Sample("lead with only city + country", weak),
        Sample("purchase 10 days old", stale),
        Sample("invalid purchase", invalid),
        Sample("purchase fired on a failed payment", failed),
        Sample("the first purchase again (duplicate)", clicked),
    ]


def demo_crm_csv(now: float) -> str:
    """The business's own records for the demo's day (a CRM export): the clicked purchase, and
    an order the server never saw. The organic purchase has no CRM record (say it was a test
    order someone placed on the live site): reconciliation lists it as server-only."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 4 * 60))
    return (
        "event_id,event_name,event_time,value,currency\n"
        f"order-1001,Purchase,{stamp},129.90,USD\n"
        f"order-1005,Purchase,{stamp},74.50,USD\n"
    )


def demo_pixel_firings(now: float) -> list[tuple[str, str, float]]:
    """(event id, event name, time) the site's browser pixel reported: it fired on the failed
    payment too, which the server refused (the tracking plan)."""
    return [
        ("order-1001", "Purchase", now - 3 * 60),
        ("order-1002", "Purchase", now - 2 * 60),
        ("order-1004", "Purchase", now - 60),
        ("lead-2001", "Lead", now - 5 * 60),
    ]
