"""The reconciliation's files: CSV and JSON lines parse to the same records, and every bad row
is named by file, line and column instead of being dropped or guessed."""

from __future__ import annotations

import calendar
from decimal import Decimal
from pathlib import Path

import pytest
from signalmesh.monitoring.reconciliation import CrmRecord
from signalmesh.monitoring.reconciliation_inputs import (
    load_browser,
    load_crm,
    parse_browser,
    parse_crm,
)
from signalmesh.store.base import Observation

NOON = calendar.timegm((2026, 3, 9, 12, 0, 0))

CRM_CSV = """\
order_id,event_name,event_time,value,currency,customer_email
A-1,Purchase,2026-03-09T12:00:00Z,19.99,usd,jane@example.com
A-2,Purchase,1773057600,5,EUR,
,Lead,2026-03-09T14:00:00+02:00,,,
"""
CRM_JSONL = """\
{"order_id":"A-1","event_name":"Purchase","event_time":"2026-03-09T12:00:00Z","value":19.99,"currency":"USD"}

{"order_id": "A-2", "event_name": "Purchase", "event_time": 1773057600, "value": "5", "currency": "EUR"}
"""


def test_a_crm_csv_reads_ids_times_and_exact_values():
    loaded = parse_crm(CRM_CSV.replace(",Lead,", "L-1,Lead,"), "crm.csv")
    assert loaded.ok, loaded.problems
    assert loaded.records == [
        CrmRecord("Purchase", NOON, order_id="A-1", value=Decimal("19.99"), currency="USD", line=2),
        CrmRecord("Purchase", NOON, order_id="A-2", value=Decimal("5"), currency="EUR", line=3),
        CrmRecord("Lead", NOON, order_id="L-1", line=4),
    ]


def test_csv_and_json_lines_give_the_same_records():
    from_csv = parse_crm(CRM_CSV, "crm.csv").records[:2]
    from_json = parse_crm(CRM_JSONL, "crm.jsonl").records
    assert [(r.order_id, r.event_time, r.value, r.currency) for r in from_json] == [
        (r.order_id, r.event_time, r.value, r.currency) for r in from_csv
    ]
    assert from_json[0].value == Decimal("19.99"), "a JSON number stays an exact decimal"
    assert [record.line for record in from_json] == [1, 3]


def test_a_row_without_event_id_or_order_id_is_named():
    loaded = parse_crm(CRM_CSV, "crm.csv")
    assert [str(problem) for problem in loaded.problems] == [
        "crm.csv line 4, column event_id: is empty and so is order_id; a CRM row needs one of them"
    ]
    assert len(loaded.records) == 2


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "A-1,Purchase,yesterday,1,EUR",
            "event_time (3)",
            "'yesterday' is neither ISO 8601 nor epoch seconds",
        ),
        ("A-1,Purchase,1773057600000,1,EUR", "event_time (3)", "looks like epoch milliseconds"),
        ("A-1,Purchase,,1,EUR", "event_time (3)", "is empty"),
        ("A-1,,2026-03-09,1,EUR", "event_name (2)", "is empty"),
        ("A-1,Purchase,2026-03-09,1;50,EUR", "value (4)", "'1;50' is not a decimal number"),
        ("A-1,Purchase,2026-03-09,12.5,", "currency (5)", "a value needs its ISO 4217 currency"),
        ("A-1,Purchase,2026-03-09,12.5,euro", "currency (5)", "'euro' is not an ISO 4217 code"),
        ("A-1,Purchase,2026-03-09,1,EUR,extra", "-", "6 cells but the header has 5"),
    ],
)
def test_bad_csv_cells_are_named_by_line_and_column(row, column, message):
    text = f"order_id,event_name,event_time,value,currency\nA-0,Purchase,2026-03-09,,\n{row}\n"
    (problem,) = parse_crm(text, "crm.csv").problems
    assert (problem.source, problem.line, problem.column) == ("crm.csv", 3, column)
    assert message in problem.message


def test_a_header_without_the_required_columns_is_one_problem_on_line_one():
    (problem,) = parse_crm("id,name,when\n1,Purchase,2026-03-09\n", "crm.csv").problems
    assert (problem.line, problem.column) == (1, "event_id or order_id")
    assert "it has: id, name, when" in problem.message


def test_bad_json_lines_are_named_by_line_and_key():
    text = "\n".join(
        [
            '{"event_id": "e1", "event_name": "Lead", "event_time": "2026-03-09"}',
            "not json",
            '["a list"]',
            '{"event_id": "e2", "event_name": "Lead", "event_time": true}',
        ]
    )
    problems = parse_crm(text, "crm.jsonl").problems
    assert [(problem.line, problem.column) for problem in problems] == [(2, "-"), (3, "-"), (4, "event_time")]
    assert problems[1].message == "not a JSON object"


def test_other_columns_are_never_quoted_back():
    text = "event_id,event_name,event_time,email\ne1,Lead,soon,jane@example.com\n"
    (problem,) = parse_crm(text, "crm.csv").problems
    assert "jane" not in str(problem)


def test_a_time_without_offset_is_utc_and_a_bare_date_is_its_midnight():
    text = "event_id,event_name,event_time\na,Lead,2026-03-09T12:00:00\nb,Lead,2026-03-09\n"
    times = [record.event_time for record in parse_crm(text, "crm.csv").records]
    assert times == [NOON, NOON - 12 * 3600]


def test_browser_files_read_as_observations_with_an_optional_destination():
    csv_text = (
        "event_id,event_name,event_time,destination\n"
        "e1,Purchase,2026-03-09T12:00:00Z,meta\n"
        "e2,Lead,1773057600,\n"
    )
    jsonl = '{"event_id":"e1","event_name":"Purchase","event_time":1773057600,"destination":"meta"}'
    assert parse_browser(csv_text, "b.csv").records == [
        Observation("e1", "Purchase", NOON, "meta"),
        Observation("e2", "Lead", NOON, ""),
    ]
    assert parse_browser(jsonl, "b.jsonl").records == [Observation("e1", "Purchase", NOON, "meta")]


def test_a_browser_row_needs_its_event_id():
    (problem,) = parse_browser("event_id,event_name,event_time\n,Lead,2026-03-09\n", "b.csv").problems
    assert str(problem) == "b.csv line 2, column event_id (1): is empty"


def test_files_are_read_by_suffix_or_sniffed(tmp_path: Path):
    (tmp_path / "crm.csv").write_text("\ufeff" + CRM_CSV.replace(",Lead,", "L-1,Lead,"), encoding="utf-8")
    (tmp_path / "crm.export").write_text(CRM_JSONL, encoding="utf-8")
    (tmp_path / "browser.ndjson").write_text(
        '{"event_id":"e1","event_name":"Lead","event_time":1773057600}\n'
    )
    assert len(load_crm(tmp_path / "crm.csv").records) == 3, "a UTF-8 BOM (Excel) is not part of the header"
    assert len(load_crm(tmp_path / "crm.export").records) == 2
    assert load_browser(tmp_path / "browser.ndjson").records == [Observation("e1", "Lead", NOON)]
