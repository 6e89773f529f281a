"""The edge's limits: each names the field and the limit, ordinary events meet them all, and the
identifier drop that made 30,000 emails quadratic is linear by construction."""

from __future__ import annotations

import time

from signalmesh.connector import kit
from signalmesh.gateway.field_limits import MAX_ENTRIES, MAX_LENGTH, cut, limit_problems
from signalmesh.gateway.identifiers import without_identifiers
from signalmesh.gateway.validate import validate_event
from signalmesh.v1 import event_pb2

NOW = time.time()


def purchase(**fields: object) -> event_pb2.ConversionEvent:
    defaults: dict[str, object] = {
        "event_id": "order-1",
        "event_name": "Purchase",
        "action_source": event_pb2.ACTION_SOURCE_WEBSITE,
        "event_source_url": "https://shop.example.com/thanks",
        "value": "29.99",
        "currency": "USD",
    }
    event = event_pb2.ConversionEvent(**{**defaults, **fields})  # type: ignore[arg-type]
    event.event_time.FromSeconds(int(NOW) - 60)
    return event


def problems(event: event_pb2.ConversionEvent) -> dict[str, tuple[str, str]]:
    return {path: (reason, description) for path, reason, description in limit_problems(event, NOW)}


def test_an_ordinary_event_meets_every_limit():
    event = purchase(user_data=event_pb2.UserData(emails=["a@example.com"] * MAX_ENTRIES["user_data.emails"]))
    event.contents.add(id="sku", quantity=3, item_price="9.99")
    event.custom_properties["coupon"] = "SPRING"
    assert problems(event) == {}


def test_too_many_emails_name_the_field_and_the_cap():
    event = purchase(user_data=event_pb2.UserData(emails=["a@example.com"] * 30_000))
    reason, description = problems(event)["user_data.emails"]
    assert reason == "entries.max" and "30000 entries" in description and "at most 20" in description
    # Over a limit, the event is refused with the limits only (the other rules never run).
    report = validate_event(event, NOW, {"meta"})
    assert [item.field for item in report.violations] == ["user_data.emails"]


def test_a_long_string_is_cut_where_it_is_echoed():
    event = purchase(event_name="N" * 3_900_000)
    reason, description = problems(event)["event_name"]
    assert reason == "length.max" and f"at most {MAX_LENGTH['event_name']}" in description
    assert len(description) < 200
    assert cut("x" * 100) == repr("x" * 64 + "…") and cut("short") == "'short'"


def test_unknown_enum_numbers_negative_quantities_and_non_finite_numbers_are_refused():
    event = purchase(action_source=99)  # type: ignore[arg-type]
    event.consent.ad_personalization = 77  # type: ignore[assignment]
    event.contents.add(id="sku", quantity=-5)
    event.custom_properties.get_or_create_list("scores").extend([1.0, float("-inf")])
    assert {path: reason for path, (reason, _) in problems(event).items()} == {
        "action_source": "enum.unknown",
        "consent.ad_personalization": "enum.unknown",
        "contents[0].quantity": "quantity.range",
        "custom_properties.scores": "number.finite",
    }


def test_timestamps_outside_protobufs_range_and_clicks_older_than_90_days():
    event = purchase()
    event.event_time.nanos = -1
    event.click_ids.fbclid = "IwAR-old"
    event.click_ids.click_time.FromSeconds(int(NOW) - 91 * 86_400)
    found = problems(event)
    assert found["event_time"][0] == "timestamp.range"
    assert (
        found["click_ids.click_time"][0] == "click_time.too_old"
        and "90 days" in found["click_ids.click_time"][1]
    )
    event.click_ids.click_time.FromSeconds(int(NOW) - 89 * 86_400)
    assert "click_ids.click_time" not in problems(event)


def test_an_amount_too_large_for_a_double_is_refused():
    assert problems(purchase(value="1" + "0" * 15))["value"][0] == "value.range"
    assert "value" not in problems(purchase(value="9" * 15 + ".99"))


class CountingPaths(list[str]):
    """A list that counts membership tests: the drop must not scan it once per identifier."""

    scans = 0

    def __contains__(self, item: object) -> bool:
        CountingPaths.scans += 1
        return super().__contains__(item)


def test_dropping_identifiers_never_scans_the_path_list_per_identifier():
    emails = [f"not-an-email-{n}" for n in range(2_000)]
    event = purchase(user_data=event_pb2.UserData(emails=emails))
    paths = CountingPaths(f"user_data.emails[{n}]" for n in range(len(emails)))
    kept = without_identifiers(event, paths)
    assert list(kept.user_data.emails) == [] and CountingPaths.scans == 0


def test_hashed_list_dedups_in_order_with_one_normalisation_per_value():
    calls: list[str] = []

    def normalise(value: str) -> str:
        calls.append(value)
        return value.lower()

    assert kit.hashed_list(["B@x.co", "a@x.co", "b@X.CO"], normalise) == [
        kit.hashed_one("b@x.co", str.lower),
        kit.hashed_one("a@x.co", str.lower),
    ]
    assert calls == ["B@x.co", "a@x.co", "b@X.CO"]
