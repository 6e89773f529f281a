"""The reconciliation's file inputs: the CRM's records and the browser's firings, CSV or JSON lines.

Parsing is pure (``parse_crm``, ``parse_browser`` over text); ``load_crm`` / ``load_browser``
only read the file. Bad rows are values, not exceptions: each ``RowProblem`` names the file,
the line and the column, so a person fixes the export instead of guessing. Callers should
refuse to reconcile while there are problems — a comparison over part of a file is a lie.
Only the columns below are read; any other column (an export may carry emails or names) is
ignored and never quoted back.

CRM:     event_id or order_id, event_name, event_time, [value, currency]
browser: event_id, event_name, event_time, [destination]

``event_time`` is ISO 8601 (a time without an offset is UTC; a bare date is its midnight UTC)
or epoch seconds. ``value`` is a decimal, kept exact; it needs its ``currency`` (ISO 4217).
The format is the file's suffix (``.csv``; ``.jsonl``, ``.ndjson``, ``.json``), else sniffed
from the first character (``{`` is JSON lines).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, TypeVar

from signalmesh.monitoring.reconciliation import CrmRecord
from signalmesh.store.base import Observation

CSV, JSON_LINES = "csv", "jsonl"
Record = TypeVar("Record")
# Epoch seconds past this (the year 5138) are almost surely milliseconds.
_MAX_EPOCH_SECONDS = 1e11
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_QUOTE_LIMIT = 40


@dataclass(frozen=True, slots=True)
class RowProblem:
    source: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.source} line {self.line}, column {self.column}: {self.message}"


@dataclass(slots=True)
class Loaded(Generic[Record]):
    records: list[Record] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _BadCell(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def load_crm(path: Path) -> Loaded[CrmRecord]:
    return parse_crm(path.read_text(encoding="utf-8-sig"), path.name, file_format(path))


def load_browser(path: Path) -> Loaded[Observation]:
    return parse_browser(path.read_text(encoding="utf-8-sig"), path.name, file_format(path))


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return CSV
    if suffix in (".jsonl", ".ndjson", ".json"):
        return JSON_LINES
    return None


def parse_crm(text: str, source: str, fmt: str | None = None) -> Loaded[CrmRecord]:
    return _parse(text, source, fmt, ("event_name", "event_time"), ("event_id", "order_id"), _crm_record)


def parse_browser(text: str, source: str, fmt: str | None = None) -> Loaded[Observation]:
    return _parse(text, source, fmt, ("event_id", "event_name", "event_time"), (), _observation)


def parse_event_time(value: Any, column: str = "event_time") -> float:
    """ISO 8601 or epoch seconds → epoch seconds (UTC)."""
    if isinstance(value, bool) or value is None:
        raise _BadCell(column, "is empty; give ISO 8601 or epoch seconds")
    if isinstance(value, int | float | Decimal):
        return _epoch(float(value), column, str(value))
    text = str(value).strip()
    if not text:
        raise _BadCell(column, "is empty; give ISO 8601 or epoch seconds")
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _epoch(seconds, column, text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _BadCell(column, f"{_quote(text)} is neither ISO 8601 nor epoch seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- rows → records --------------------------------------------------------------------------
def _crm_record(row: Mapping[str, Any], line: int) -> CrmRecord:
    event_id, order_id = _text(row, "event_id"), _text(row, "order_id")
    if not event_id and not order_id:
        raise _BadCell("event_id", "is empty and so is order_id; a CRM row needs one of them")
    value, currency = _value(row)
    return CrmRecord(
        event_name=_required(row, "event_name"),
        event_time=parse_event_time(row.get("event_time")),
        event_id=event_id,
        order_id=order_id,
        value=value,
        currency=currency,
        line=line,
    )


def _observation(row: Mapping[str, Any], line: int) -> Observation:
    return Observation(
        event_id=_required(row, "event_id"),
        event_name=_required(row, "event_name"),
        event_time=parse_event_time(row.get("event_time")),
        destination=_text(row, "destination"),
    )


def _value(row: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    raw = row.get("value")
    currency = _text(row, "currency")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, currency.upper()
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise _BadCell("value", f"{_quote(str(raw))} is not a decimal number (use . for decimals)") from None
    if not value.is_finite():
        raise _BadCell("value", f"{_quote(str(raw))} is not a finite number")
    if not currency:
        raise _BadCell("currency", "is empty; a value needs its ISO 4217 currency, e.g. EUR")
    if not _CURRENCY.match(currency):
        raise _BadCell("currency", f"{_quote(currency)} is not an ISO 4217 code (three letters, e.g. EUR)")
    return value, currency.upper()


def _required(row: Mapping[str, Any], column: str) -> str:
    text = _text(row, column)
    if not text:
        raise _BadCell(column, "is empty")
    return text


def _text(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()


def _epoch(seconds: float, column: str, text: str) -> float:
    if not math.isfinite(seconds):
        raise _BadCell(column, f"{_quote(text)} is not a time")
    if seconds < 0:
        raise _BadCell(column, f"{_quote(text)} is before 1970")
    if seconds > _MAX_EPOCH_SECONDS:
        raise _BadCell(column, f"{_quote(text)} looks like epoch milliseconds; give seconds")
    return seconds


def _quote(text: str) -> str:
    return repr(text if len(text) <= _QUOTE_LIMIT else text[:_QUOTE_LIMIT] + "…")


# --- files → rows ----------------------------------------------------------------------------
Rows = Iterator[tuple[int, dict[str, Any] | RowProblem]]


def _parse(
    text: str,
    source: str,
    fmt: str | None,
    required: tuple[str, ...],
    one_of: tuple[str, ...],
    build: Callable[[Mapping[str, Any], int], Record],
) -> Loaded[Record]:
    loaded: Loaded[Record] = Loaded()
    fmt = fmt or (JSON_LINES if text.lstrip().startswith("{") else CSV)
    if fmt == CSV:
        header_problem = _header_problem(text, source, required, one_of)
        if header_problem is not None:
            loaded.problems.append(header_problem)
            return loaded
    rows = _csv_rows(text, source) if fmt == CSV else _json_rows(text, source)
    columns = _csv_columns(text) if fmt == CSV else {}
    for line, row in rows:
        if isinstance(row, RowProblem):
            loaded.problems.append(row)
            continue
        try:
            loaded.records.append(build(row, line))
        except _BadCell as bad:
            loaded.problems.append(RowProblem(source, line, columns.get(bad.column, bad.column), bad.message))
    return loaded


def _header_problem(
    text: str, source: str, required: tuple[str, ...], one_of: tuple[str, ...]
) -> RowProblem | None:
    header = list(_csv_columns(text))
    if not header:
        return RowProblem(source, 1, "-", "no header row; the first line names the columns")
    missing = [column for column in required if column not in header]
    if one_of and not any(column in header for column in one_of):
        missing.insert(0, " or ".join(one_of))
    if missing:
        return RowProblem(source, 1, missing[0], f"missing from the header (it has: {', '.join(header)})")
    return None


def _csv_columns(text: str) -> dict[str, str]:
    """Column name → how messages name it: ``"event_time (3)"``, its 1-based position."""
    first = next(csv.reader(io.StringIO(text)), [])
    return {name.strip().lower(): f"{name.strip().lower()} ({index})" for index, name in enumerate(first, 1)}


def _csv_rows(text: str, source: str) -> Rows:
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield (
                reader.line_num,
                RowProblem(
                    source, reader.line_num, "-", f"{len(cells)} cells but the header has {len(header)}"
                ),
            )
            continue
        yield reader.line_num, dict(zip(header, cells, strict=False))


def _json_rows(text: str, source: str) -> Rows:
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw, parse_float=Decimal)
        except ValueError as error:
            yield line, RowProblem(source, line, "-", f"not valid JSON ({error})")
            continue
        if not isinstance(row, dict):
            yield line, RowProblem(source, line, "-", "not a JSON object")
            continue
        yield line, {str(key).strip().lower(): value for key, value in row.items()}
