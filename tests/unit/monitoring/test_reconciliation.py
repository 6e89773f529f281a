"""Reconciliation compares the browser, server and CRM layers per day × event name: counts
against tolerances on both sides, the concrete ids each layer lacks, the browser/server
overlap, the no-click-id share; then the JSON document, its alert and the terminal table."""

from __future__ import annotations

import calendar
import json
from decimal import Decimal

import pytest
from rich.console import Console
from signalmesh.monitoring.alert_rules import evaluate
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.reconciliation import (
    NOT_APPLICABLE,
    PASS,
    WARN,
    ZERO_OVERLAP,
    CrmRecord,
    Tolerances,
    day_bounds,
    reconcile,
)
from signalmesh.monitoring.reconciliation_json import discrepancy_findings, to_json
from signalmesh.monitoring.reconciliation_table import render_reconciliation_table
from signalmesh.store.base import DeliveryRecord, Observation

DAY_ONE = calendar.timegm((2026, 3, 9, 10, 0, 0))  # 2026-03-09 10:00 UTC
SINCE, UNTIL = day_bounds("2026-03-09")[0], day_bounds("2026-03-11")[0]


def delivered(event_id: str, name: str = "Purchase", at: float = DAY_ONE, **fields) -> DeliveryRecord:
    fields.setdefault("destination", "meta")
    return DeliveryRecord(event_id=event_id, event_name=name, event_time=at, delivered_at=at + 5, **fields)


def crm(
    match_id: str, name: str = "Purchase", at: float = DAY_ONE, by_order: bool = False, **fields
) -> CrmRecord:
    ids = {"order_id": match_id} if by_order else {"event_id": match_id}
    return CrmRecord(event_name=name, event_time=at, **ids, **fields)


def fired(event_id: str, name: str = "Purchase", at: float = DAY_ONE) -> Observation:
    return Observation(event_id=event_id, event_name=name, event_time=at)


def ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{index:03d}" for index in range(count)]


def only_day(reconciliation, event_name: str = "Purchase"):
    (day,) = [day for day in reconciliation.days if day.event_name == event_name]
    return day


def test_a_lead_with_no_crm_record_shows_as_a_server_only_event():
    server = [delivered("lead-1", "Lead"), delivered("lead-2", "Lead")]
    result = reconcile(None, server, [crm("lead-1", "Lead")], SINCE, UNTIL)
    day = only_day(result, "Lead")
    assert (day.server, day.crm) == (2, 1)
    assert day.missing["server_not_in_crm"].ids == ("lead-2",)
    assert day.missing["crm_not_in_server"].ids == ()
    assert day.crm_vs_server.result == WARN and result.result == WARN


def test_a_crm_order_the_server_never_saw_is_listed():
    server = [delivered("order-1")]
    records = [crm("order-1", by_order=True), crm("order-9", by_order=True)]
    day = only_day(reconcile(None, server, records, SINCE, UNTIL))
    assert day.missing["crm_not_in_server"].ids == ("order-9",)
    assert day.missing["server_not_in_crm"].ids == (), "order_id is matched to the server's event_id"


@pytest.mark.parametrize(
    ("server_count", "browser_count", "result"),
    [(100, 100, PASS), (105, 100, PASS), (106, 100, WARN), (95, 100, PASS), (94, 100, WARN)],
)
def test_server_vs_browser_is_within_five_percent(server_count, browser_count, result):
    shared = ids("evt", max(server_count, browser_count))
    server = [delivered(event_id) for event_id in shared[:server_count]]
    browser = [fired(event_id) for event_id in shared[:browser_count]]
    records = [crm(event_id) for event_id in shared[:server_count]]
    day = only_day(reconcile(browser, server, records, SINCE, UNTIL))
    assert day.server_vs_browser.result == result
    assert day.server_vs_browser.discrepancy == pytest.approx(
        abs(server_count - browser_count) / browser_count
    )


@pytest.mark.parametrize(("crm_count", "result"), [(90, PASS), (89, WARN), (110, PASS), (111, WARN)])
def test_crm_vs_server_is_within_ten_percent(crm_count, result):
    shared = ids("evt", max(crm_count, 100))
    server = [delivered(event_id) for event_id in shared[:100]]
    records = [crm(event_id) for event_id in shared[:crm_count]]
    day = only_day(reconcile(None, server, records, SINCE, UNTIL))
    assert day.crm_vs_server.result == result


@pytest.mark.parametrize(("browser_count", "result"), [(10, PASS), (9, WARN), (11, WARN)])
def test_the_browser_must_fire_on_every_intent_the_crm_recorded(browser_count, result):
    shared = ids("evt", 11)
    records = [crm(event_id) for event_id in shared[:10]]
    browser = [fired(event_id) for event_id in shared[:browser_count]]
    server = [delivered(event_id) for event_id in shared[:10]]
    day = only_day(reconcile(browser, server, records, SINCE, UNTIL))
    assert day.browser_vs_crm.result == result


def test_without_a_browser_layer_its_pairs_are_not_applicable():
    result = reconcile(None, [delivered("a")], [crm("a")], SINCE, UNTIL)
    day = only_day(result)
    assert day.browser is None
    assert day.server_vs_browser.result == day.browser_vs_crm.result == NOT_APPLICABLE
    assert result.result == PASS and result.overlap.browser is None


def test_zero_overlap_says_the_browser_and_server_ids_do_not_match():
    browser = [fired(f"browser-{index}") for index in range(5)]
    server = [delivered(f"server-{index}") for index in range(5)]
    result = reconcile(browser, server, [], SINCE, UNTIL)
    assert result.overlap.both == 0 and result.overlap.share_of_server == 0
    assert result.overlap.message == ZERO_OVERLAP


def test_overlap_is_the_share_of_server_events_a_browser_event_shares_an_id_with():
    browser = [fired("a"), fired("b"), fired("x")]
    server = [delivered("a"), delivered("b"), delivered("c"), delivered("d")]
    overlap = reconcile(browser, server, [], SINCE, UNTIL).overlap
    assert (overlap.both, overlap.share_of_server, overlap.share_of_browser) == (2, 0.5, pytest.approx(2 / 3))
    assert overlap.message.startswith("50 % of server events")


def test_an_event_delivered_to_two_destinations_is_one_server_event():
    server = [delivered("a", destination="meta"), delivered("a", destination="tiktok"), delivered("b")]
    day = only_day(reconcile(None, server, [crm("a"), crm("b")], SINCE, UNTIL))
    assert day.server == 2 and day.server_by_destination == {"meta": 2, "tiktok": 1}
    assert day.crm_vs_server.result == PASS


def test_test_mode_deliveries_and_events_outside_the_range_are_left_out():
    server = [delivered("a"), delivered("t", mode="test"), delivered("late", at=UNTIL)]
    day = only_day(reconcile(None, server, [crm("a"), crm("early", at=SINCE - 1)], SINCE, UNTIL))
    assert (day.server, day.crm) == (1, 1)


def test_values_per_currency_are_exact_and_counted_once_per_event():
    server = [
        delivered("a", value="10.10", currency="EUR", destination="meta"),
        delivered("a", value="10.10", currency="EUR", destination="tiktok"),
        delivered("b", value="0.20", currency="EUR"),
        delivered("c", value="5", currency="USD"),
    ]
    records = [
        crm("a", value=Decimal("10.10"), currency="EUR"),
        crm("b", value=Decimal("0.1"), currency="EUR"),
    ]
    day = only_day(reconcile(None, server, records, SINCE, UNTIL))
    assert {currency: (str(v.server), str(v.crm)) for currency, v in day.value.items()} == {
        "EUR": ("10.30", "10.20"),
        "USD": ("5", "0"),
    }


def test_ids_near_midnight_are_matched_across_the_day_boundary():
    midnight = day_bounds("2026-03-10")[0]
    result = reconcile(None, [delivered("a", at=midnight - 30)], [crm("a", at=midnight + 30)], SINCE, UNTIL)
    assert all(not day.missing[name].ids for day in result.days for name in day.missing)
    assert [(day.day, day.server, day.crm) for day in result.days] == [
        ("2026-03-09", 1, 0),
        ("2026-03-10", 0, 1),
    ]


def test_id_lists_are_capped_and_say_how_many_more():
    server = [delivered(event_id) for event_id in ids("evt", 25)]
    day = only_day(reconcile(None, server, [], SINCE, UNTIL, id_limit=20))
    missing = day.missing["server_not_in_crm"]
    assert len(missing.ids) == 20 and missing.more == 5


def test_deliveries_without_a_click_id_are_counted_per_destination():
    server = [
        delivered("a", destination="meta", has_click_id=True),
        delivered("b", destination="meta"),
        delivered("a", destination="google", has_click_id=True),
        delivered("c", destination="google", has_click_id=True),
    ]
    share = reconcile(None, server, [], SINCE, UNTIL).no_click_id
    assert (share.total.delivered, share.total.without_click_id, share.total.share) == (4, 1, 0.25)
    assert share.by_destination["meta"].share == 0.5 and share.by_destination["google"].share == 0


def test_days_and_event_names_are_rows_of_their_own():
    server = [delivered("a"), delivered("b", "Lead"), delivered("c", at=DAY_ONE + 86_400)]
    result = reconcile(None, server, [], SINCE, UNTIL)
    assert [(day.day, day.event_name) for day in result.days] == [
        ("2026-03-09", "Lead"),
        ("2026-03-09", "Purchase"),
        ("2026-03-10", "Purchase"),
    ]


def test_tolerances_are_data():
    server = [delivered(event_id) for event_id in ids("evt", 10)]
    records = [crm(event_id) for event_id in ids("evt", 8)]
    strict = reconcile(None, server, records, SINCE, UNTIL)
    lenient = reconcile(None, server, records, SINCE, UNTIL, Tolerances(crm_vs_server=0.25))
    assert (only_day(strict).crm_vs_server.result, only_day(lenient).crm_vs_server.result) == (WARN, PASS)


# --- the JSON document, its alert, the table -------------------------------------------------
def sample():
    browser = [fired("lead-1", "Lead"), fired("p-1")]
    server = [
        delivered("lead-1", "Lead"),
        delivered("lead-2", "Lead"),
        delivered("p-1", value="19.99", currency="USD", has_click_id=True),
    ]
    records = [crm("lead-1", "Lead"), crm("p-1", value=Decimal("19.99"), currency="USD"), crm("p-9")]
    return reconcile(browser, server, records, SINCE, UNTIL)


def test_to_json_is_the_documented_object():
    document = json.loads(json.dumps(to_json(sample())))
    assert (document["since"], document["until"]) == ("2026-03-09T00:00:00Z", "2026-03-11T00:00:00Z")
    assert document["result"] == WARN
    assert document["tolerances"] == {"server_vs_browser": 0.05, "crm_vs_server": 0.1, "browser_vs_crm": 0.0}
    lead, purchase = document["days"]
    assert {key: lead[key] for key in ("day", "event_name", "browser", "server", "crm")} == {
        "day": "2026-03-09",
        "event_name": "Lead",
        "browser": 1,
        "server": 2,
        "crm": 1,
    }
    assert lead["server_vs_browser"] == {"discrepancy": 1.0, "tolerance": 0.05, "result": WARN}
    assert lead["missing"]["server_not_in_crm"] == {"ids": ["lead-2"], "more": 0}
    assert lead["server_by_destination"] == {"meta": 2}
    assert purchase["value"] == {"USD": {"server": "19.99", "crm": "19.99"}}
    assert purchase["missing"]["crm_not_in_server"] == {"ids": ["p-9"], "more": 0}
    assert document["overlap"]["both"] == 2 and document["overlap"]["share_of_server"] == pytest.approx(
        0.6667
    )
    assert document["no_click_id"]["without_click_id"] == 2 and document["no_click_id"]["delivered"] == 3


def test_a_reconciliation_beyond_tolerance_raises_the_discrepancy_alert():
    findings = discrepancy_findings(to_json(sample()))
    assert [finding.alert_key for finding in findings] == [
        "discrepancy:browser_vs_crm/Purchase",
        "discrepancy:crm_vs_server/Lead",
        "discrepancy:crm_vs_server/Purchase",
        "discrepancy:server_vs_browser/Lead",
    ]
    lead = findings[1]
    assert (lead.figure, lead.threshold) == (0.5, 0.1)
    assert lead.message == "Lead on 2026-03-09: crm 1 vs server 2 (50 %), beyond the 10 % tolerance"
    assert lead.command == "signalmesh reconcile --crm CRM_FILE --since 2026-03-09 --until 2026-03-10"
    assert lead.window == "2026-03-09 to 2026-03-11"


def test_a_passing_reconciliation_raises_nothing_and_evaluate_reads_the_document():
    passing = reconcile(None, [delivered("a")], [crm("a")], SINCE, UNTIL)
    assert discrepancy_findings(to_json(passing)) == []
    findings = evaluate([], UNTIL, AlertSettings(), reconciliation=to_json(sample()))
    assert {finding.rule for finding in findings} == {"discrepancy"}


def test_the_table_shows_counts_checks_ids_overlap_and_click_ids():
    console = Console(record=True, width=220)
    console.print(render_reconciliation_table(sample()))
    text = console.export_text()
    for part in ("Lead", "100 % WARN", "lead-2", "p-9", "USD 19.99 / 19.99", "without a click id: 2 of 3"):
        assert part in text, part
    assert "result: WARN" in text


def test_the_table_names_zero_overlap():
    console = Console(record=True, width=220)
    console.print(render_reconciliation_table(reconcile([fired("b")], [delivered("s")], [], SINCE, UNTIL)))
    assert ZERO_OVERLAP in console.export_text()
