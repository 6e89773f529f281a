"""The edge's limits: each names the field and the limit, ordinary events meet them all, and the
identifier drop that made 30,000 emails quadratic is linear by construction; the quick pass
that clears an ordinary event agrees with the rule-by-rule walk on events at every edge."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signalmesh.connector import kit
from signalmesh.gateway.field_limits import (
    CLICK_ID_LENGTH,
    CONTENT_TEXT_LENGTH,
    ITEM_PRICE_LENGTH,
    MAX_ENTRIES,
    MAX_LENGTH,
    PROPERTY_KEY_LENGTH,
    PROPERTY_STRING_LENGTH,
    cut,
    each_limit_problem,
    limit_problems,
    within_limits,
)
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


AMOUNTS = [
    "", "49.90", "9" * 15, "9" * 15 + ".99", "1" + "0" * 15, " 1e15 ", "1e14", "1_000_000_000_000_000",
    "-1" + "0" * 15, "0" * 20 + "1", "NaN", "Infinity", "abc", "٣" * 16, "1" * 40,
]  # fmt: skip
SECONDS = [
    -62_135_596_801, -62_135_596_800, 0, int(NOW) - 91 * 86_400, int(NOW) - 89 * 86_400, int(NOW),
    253_402_300_799, 253_402_300_800,
]  # fmt: skip
NANOS = [0, -1, 999_999_999, 1_000_000_000]


def agrees(event: event_pb2.ConversionEvent) -> bool:
    """The quick pass clears ``event`` exactly when the rule-by-rule walk finds nothing."""
    found = list(each_limit_problem(event, NOW))
    return within_limits(event, NOW) == (found == []) and list(limit_problems(event, NOW)) == found


@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_quick_pass_and_the_walk_agree_on_every_amount(amount):
    content = purchase()
    content.contents.add(id="sku", item_price=amount)
    assert agrees(purchase(value=amount)) and agrees(content)


@pytest.mark.parametrize("seconds", SECONDS)
@pytest.mark.parametrize("nanos", NANOS)
def test_the_quick_pass_and_the_walk_agree_on_every_timestamp(seconds, nanos):
    event, click = purchase(), purchase()
    event.event_time.seconds, event.event_time.nanos = seconds, nanos
    click.click_ids.click_time.seconds, click.click_ids.click_time.nanos = seconds, nanos
    assert agrees(event) and agrees(click)


def at_the_edges() -> st.SearchStrategy[event_pb2.ConversionEvent]:
    """An ordinary event with some fields set just under, at and just over their limits."""
    lengths = st.sampled_from([-1, 0, 1])

    def text(cap: int) -> st.SearchStrategy[str]:
        return st.tuples(lengths, st.sampled_from("xé€")).map(lambda drawn: drawn[1] * (cap + drawn[0]))

    amounts = st.sampled_from(AMOUNTS)
    seconds = st.sampled_from(SECONDS)
    nanos = st.sampled_from(NANOS)

    def change(event: event_pb2.ConversionEvent, data: st.DataObject) -> None:
        kind = data.draw(
            st.sampled_from(["scalar", "list", "click", "content", "enum", "time", "amount", "custom"])
        )
        if kind == "scalar":
            path = data.draw(st.sampled_from([path for path in MAX_LENGTH if not path.endswith("[]")]))
            owner, _, name = path.rpartition(".")
            setattr(event.user_data if owner else event, name, data.draw(text(MAX_LENGTH[path])))
        elif kind == "list":
            path = data.draw(st.sampled_from([path for path in MAX_ENTRIES if path != "contents"]))
            owner, _, name = path.rpartition(".")
            values = getattr(event.user_data if owner else event, name)
            count = MAX_ENTRIES[path] + data.draw(lengths)
            values.extend([data.draw(text(MAX_LENGTH[f"{path}[]"]))] + ["a"] * (count - 1))
        elif kind == "click":
            name = data.draw(st.sampled_from(["fbclid", "fbc", "gclid", "ttp", "ga_session_id"]))
            setattr(event.click_ids, name, data.draw(text(CLICK_ID_LENGTH)))
        elif kind == "content":
            count = data.draw(st.sampled_from([1, 2, MAX_ENTRIES["contents"], MAX_ENTRIES["contents"] + 1]))
            event.contents.add(
                id=data.draw(text(CONTENT_TEXT_LENGTH)),
                category=data.draw(text(CONTENT_TEXT_LENGTH)),
                item_price=data.draw(amounts | text(ITEM_PRICE_LENGTH)),
                quantity=data.draw(st.sampled_from([0, 1, -1])),
            )
            for _ in range(count - 1):
                event.contents.add(id="sku", quantity=1, item_price="9.99")
        elif kind == "enum":
            number = data.draw(st.sampled_from([0, 1, 2, 3, 9, 10, 99, -1]))
            target = data.draw(st.sampled_from(["action_source", "ad_user_data", "ad_personalization"]))
            setattr(event if target == "action_source" else event.consent, target, number)
        elif kind == "time":
            stamp = event.click_ids.click_time if data.draw(st.booleans()) else event.event_time
            stamp.seconds, stamp.nanos = data.draw(seconds), data.draw(nanos)
        elif kind == "amount":
            event.value = data.draw(amounts)
        else:
            key = data.draw(
                st.sampled_from(["coupon", "k" * PROPERTY_KEY_LENGTH, "k" * (PROPERTY_KEY_LENGTH + 1)])
            )
            event.custom_properties[key] = data.draw(
                st.sampled_from(
                    [1.5, float("nan"), "s" * PROPERTY_STRING_LENGTH, "s" * (PROPERTY_STRING_LENGTH + 1)]
                )
            )

    @st.composite
    def events(draw: st.DrawFn) -> event_pb2.ConversionEvent:
        event = purchase(user_data=event_pb2.UserData(emails=["a@example.com"], phones=["+16505551212"]))
        data = draw(st.data())
        for _ in range(draw(st.integers(0, 3))):
            change(event, data)
        return event

    return events()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(at_the_edges())
def test_the_quick_pass_clears_exactly_the_events_the_rules_find_nothing_in(event):
    assert agrees(event)
