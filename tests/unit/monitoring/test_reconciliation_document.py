"""The JSON document read back (what the CLI renders from the gateway's answer) is the same
reconciliation: its JSON and its table do not change on the way."""

from __future__ import annotations

import json

from rich.console import Console
from signalmesh.monitoring.reconciliation_json import from_json, to_json
from signalmesh.monitoring.reconciliation_table import render_reconciliation_table

from tests.unit.monitoring.test_reconciliation import sample


def rendered(reconciliation) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_reconciliation_table(reconciliation))
    return console.export_text()


def test_from_json_is_the_inverse_of_to_json() -> None:
    original = sample()
    document = json.loads(json.dumps(to_json(original)))  # as it travels
    again = from_json(document)
    assert to_json(again) == to_json(original)
    assert rendered(again) == rendered(original)
    assert again.days[0].crm_vs_server.subject == original.days[0].crm_vs_server.subject
