"""``record``: equal and hashed by its fields like a frozen dataclass, and frozen to mypy, which
refuses an assignment to one (run on a real file, as ``make lint`` runs it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mypy import api as mypy_api
from signalmesh.store.base import DeliveryResult

_ASSIGNS = """
from signalmesh.store.base import DeliveryResult

result = DeliveryResult("entry-1", "evt-1", "meta", 3)
result.state = 4
"""


def test_a_record_is_equal_and_hashed_by_its_fields() -> None:
    first = DeliveryResult("entry-1", "evt-1", "meta", 3, "ok")
    same = DeliveryResult("entry-1", "evt-1", "meta", 3, "ok")
    assert first == same and hash(first) == hash(same)
    assert len({first, same, replace(first, state=4)}) == 2
    assert replace(first, state=4) != first


def test_mypy_refuses_an_assignment_to_a_record(tmp_path: Path) -> None:
    source = tmp_path / "assigns.py"
    source.write_text(_ASSIGNS)
    report, _, status = mypy_api.run(
        [str(source), "--cache-dir", str(tmp_path / "cache"), "--follow-imports", "silent"]
    )
    assert status == 1
    assert 'Property "state" defined in "DeliveryResult" is read-only' in report
