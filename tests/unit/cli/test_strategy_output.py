"""`signalmesh strategy` explains the modes in the README's own words, and prints each change
as one line naming who made it."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from signalmesh.cli.strategy_output import CONNECTOR_RULES, MODES, audit_line, print_modes
from signalmesh.v1 import gateway_pb2, policy_pb2

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_platform_rules() -> dict[str, tuple[str, str]]:
    """connector → (strict sends when, send_all sends when), from README.md's Platforms table."""
    lines = README.read_text().splitlines()
    header_index = next(index for index, line in enumerate(lines) if "`strict` sends when" in line)
    header = [cell.strip() for cell in lines[header_index].strip("|").split("|")]
    strict_column, send_all_column = (
        header.index("`strict` sends when"),
        header.index("`send_all` sends when"),
    )
    rules = {}
    for line in lines[header_index + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        connector = re.search(r"\(`(\w+)`\)", cells[0])
        assert connector, cells[0]
        rules[connector.group(1)] = (cells[strict_column], cells[send_all_column])
    return rules


def test_the_per_platform_rules_are_the_readme_table_word_for_word():
    assert dict(CONNECTOR_RULES) == readme_platform_rules()


def test_the_modes_table_names_both_modes_and_the_configured_connectors_only():
    console = Console(record=True, width=200)
    print_modes({"meta", "tiktok"}, console)
    text = console.export_text()
    assert [mode for mode, _, _ in MODES] == ["strict", "send_all"]
    assert "only events the platform can attribute" in text
    assert "fbc present" in text and "ttclid present" in text  # markdown stripped
    assert "li_fat_id" not in text


def test_an_audit_line_names_the_client_the_scope_and_both_values():
    change = gateway_pb2.StrategyChange(
        destination="meta_strict",
        previous=policy_pb2.STRATEGY_STRICT,
        strategy=policy_pb2.STRATEGY_SEND_ALL,
        actor="ops-admin",
    )
    change.changed_at.FromSeconds(1_800_000_000)
    assert audit_line(change) == "2027-01-15 08:00:00 UTC ops-admin set meta_strict: strict → send_all"
    change.destination = ""
    assert "set (global default): strict → send_all" in audit_line(change)
