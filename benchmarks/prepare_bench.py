"""The preparation microbenchmark: our Meta connector's prepare + build against the official
facebook-business SDK building the same events, in one process, on one core.

Both sides get the same N distinct events (email, phone, IP, user agent, fbc, value, currency,
two contents) and do what each needs to produce a request body for Meta:

- ours: ``MetaConnector.prepare`` (normalise + hash every identifier, canonical JSON), its match
  quality, then ``build_requests`` over requests of 1,000 events;
- the SDK: ``UserData``/``CustomData``/``Content``/``Event`` objects, ``Event.normalize()``
  (which normalises and hashes the user data) and the JSON body of the ``data`` list, as
  ``EventRequest`` sends it.

CPU time is ``time.process_time``; the two sides alternate for several rounds and each side's
best round counts, so a noisy neighbour on a shared core costs both alike. Our side does more
(phones get a country code, names lose punctuation, dates are reformatted: platforms.md §1.5).
The SDK is a benchmark-only dependency (``pip install -e '.[bench]'``). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf import timestamp_pb2
from signalmesh.connector import Destination
from signalmesh.v1 import event_pb2

EVENT_TIME = 1_780_000_000
REQUEST_SIZE = 1000


def sample_events(count: int) -> list[event_pb2.ConversionEvent]:
    """``count`` distinct realistic purchases: no two share a personal value, so no cache helps."""
    events = []
    for index in range(count):
        event = event_pb2.ConversionEvent(
            event_id=f"order-{index}",
            event_name="Purchase",
            event_time=timestamp_pb2.Timestamp(seconds=EVENT_TIME + index),
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example.com/checkout/done",
            value=f"{index % 500}.99",
            currency="usd",
        )
        event.user_data.emails.append(f"  Customer.{index}@Example.com ")
        event.user_data.phones.append(f"+1650555{index % 10000:04d}")
        event.user_data.client_ip_address = f"203.0.{index % 256}.{(index // 256) % 256}"
        event.user_data.client_user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
        event.click_ids.fbc = f"fb.1.1780000000000.IwAR{index:08d}"
        event.contents.add(id=f"sku-{index % 97}", quantity=2, item_price="19.50")
        event.contents.add(id="sku-gift", quantity=1, item_price="4.99")
        events.append(event)
    return events


def ours(events: Sequence[event_pb2.ConversionEvent]) -> Callable[[], int]:
    """Our connector's work for ``events``: prepare, match quality, build; returns bytes built."""
    from signalmesh_meta.connector import MetaConnector

    connector = MetaConnector()
    destination = Destination(
        name="meta", connector="meta", settings={"pixel_id": "1234567890", "access_token": "token"}
    )

    def run() -> int:
        prepared = [connector.prepare(event, destination) for event in events]
        for event in prepared:
            connector.match_quality(event)
        total = 0
        for start in range(0, len(prepared), REQUEST_SIZE):
            for request in connector.build_requests(prepared[start : start + REQUEST_SIZE], destination):
                total += len(request.body)
        return total

    return run


def sdk(events: Sequence[event_pb2.ConversionEvent]) -> Callable[[], int]:
    """The facebook-business SDK's work for the same events; returns bytes built."""
    from facebook_business.adobjects.serverside.action_source import ActionSource
    from facebook_business.adobjects.serverside.content import Content
    from facebook_business.adobjects.serverside.custom_data import CustomData
    from facebook_business.adobjects.serverside.event import Event
    from facebook_business.adobjects.serverside.user_data import UserData

    # The SDK takes plain values: read them from the protobufs once, outside the timed part.
    rows = [
        {
            "event_id": event.event_id,
            "event_name": event.event_name,
            "event_time": event.event_time.seconds,
            "url": event.event_source_url,
            "email": event.user_data.emails[0],
            "phone": event.user_data.phones[0],
            "ip": event.user_data.client_ip_address,
            "ua": event.user_data.client_user_agent,
            "fbc": event.click_ids.fbc,
            "value": float(event.value),
            "currency": event.currency,
            "contents": [(item.id, item.quantity, float(item.item_price)) for item in event.contents],
        }
        for event in events
    ]

    def run() -> int:
        total = 0
        for start in range(0, len(rows), REQUEST_SIZE):
            data: list[dict[str, Any]] = []
            for row in rows[start : start + REQUEST_SIZE]:
                user = UserData(
                    emails=[row["email"]],
                    phones=[row["phone"]],
                    client_ip_address=row["ip"],
                    client_user_agent=row["ua"],
                    fbc=row["fbc"],
                )
                custom = CustomData(
                    value=row["value"],
                    currency=row["currency"],
                    contents=[
                        Content(product_id=sku, quantity=quantity, item_price=price)
                        for sku, quantity, price in row["contents"]
                    ],
                )
                event = Event(
                    event_name=row["event_name"],
                    event_time=row["event_time"],
                    event_id=row["event_id"],
                    event_source_url=row["url"],
                    action_source=ActionSource.WEBSITE,
                    user_data=user,
                    custom_data=custom,
                )
                data.append(event.normalize())
            total += len(json.dumps({"data": data}, separators=(",", ":")).encode("utf-8"))
        return total

    return run


def measure(count: int = 20_000, rounds: int = 5) -> dict[str, float]:
    """Events/s of ours and of the SDK (best of ``rounds`` alternated rounds) and their ratio."""
    events = sample_events(count)
    sides = {"ours": ours(events), "sdk": sdk(events)}
    best = {name: float("inf") for name in sides}
    for run in sides.values():  # warm-up: imports, caches of compiled regexes
        run()
    for _ in range(rounds):
        for name, run in sides.items():
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    ours_rate = count / best["ours"]
    sdk_rate = count / best["sdk"]
    return {
        "events": float(count),
        "ours_events_per_s": round(ours_rate),
        "sdk_events_per_s": round(sdk_rate),
        "ours_us_per_event": round(best["ours"] / count * 1e6, 1),
        "sdk_us_per_event": round(best["sdk"] / count * 1e6, 1),
        "ratio_ours_to_sdk": round(ours_rate / sdk_rate, 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    options = parser.parse_args(argv)
    figures = measure(options.events, options.rounds)
    print(
        f"prepare+build, {int(figures['events'])} Meta events, one core: "
        f"ours {figures['ours_events_per_s']:,.0f} events/s ({figures['ours_us_per_event']} µs), "
        f"facebook-business SDK {figures['sdk_events_per_s']:,.0f} events/s "
        f"({figures['sdk_us_per_event']} µs), ratio ours/SDK {figures['ratio_ours_to_sdk']}×"
    )
    if options.json:
        with open(options.json, "w", encoding="utf-8") as output:
            json.dump(figures, output, indent=2)
    return figures


if __name__ == "__main__":
    main()
