"""The README's `signalmesh check` examples print exactly what the README shows.

Each `<!-- readme-example: NAME -->` block is written to a file and each
`<!-- readme-output: signalmesh check NAME -->` block is compared with the real command's output
against a fresh embedded mesh (default settings, as `signalmesh up` runs it). The README's events
carry fixed times; the test moves them to the present by whole seconds (a fixed time would age
out of Meta's 7-day window) and maps the printed epoch values back before comparing.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from signalmesh.config import config_from_mapping
from signalmesh.gateway.server import serve_gateway
from signalmesh.policy.server import serve_policy

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- readme-(example|output): ([^>]+?) -->\n```\w*\n(.*?)\n```", re.DOTALL)
SIGNALMESH = Path(sys.executable).with_name("signalmesh")


def readme_blocks() -> tuple[dict[str, str], dict[str, str]]:
    examples: dict[str, str] = {}
    outputs: dict[str, str] = {}
    for kind, name, body in BLOCK.findall(README.read_text()):
        (examples if kind == "example" else outputs)[name.strip()] = body
    return examples, outputs


EXAMPLES, OUTPUTS = readme_blocks()


def test_the_readme_has_check_examples_with_their_output() -> None:
    assert {"purchase.json", "broken.json"} <= set(EXAMPLES)
    assert set(OUTPUTS) == {f"signalmesh check {name}" for name in EXAMPLES}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def moved_to_now(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The event with every timestamp shifted so event_time is two minutes ago, and the map from
    the epoch strings the shifted event prints back to those of the README's event."""
    shift = timedelta(seconds=int(time.time() - 120 - parse_time(event["eventTime"]).timestamp()))
    moved = json.loads(json.dumps(event))
    back: dict[str, str] = {}
    for holder, key, unit in ((moved, "eventTime", 1), (moved.get("clickIds", {}), "clickTime", 1000)):
        if key in holder:
            original = parse_time(holder[key])
            shifted = original + shift
            holder[key] = shifted.isoformat().replace("+00:00", "Z")
            back[str(int(shifted.timestamp() * unit))] = str(int(original.timestamp() * unit))
    return moved, back


@pytest.fixture
async def embedded_mesh(tmp_path: Path):
    config = config_from_mapping({"state_dir": str(tmp_path / "state")}, {}, source=None)
    policy = await serve_policy(config, listen="127.0.0.1:0")
    gateway = await serve_gateway(config, listen="127.0.0.1:0", policy_address=policy.address)
    try:
        yield gateway
    finally:
        await gateway.stop(grace=1)
        await policy.stop(grace=1)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_signalmesh_check_prints_what_the_readme_shows(
    name: str, embedded_mesh, tmp_path: Path
) -> None:
    event, back = moved_to_now(json.loads(EXAMPLES[name]))
    path = tmp_path / name
    path.write_text(json.dumps(event))
    process = await asyncio.create_subprocess_exec(
        str(SIGNALMESH),
        "check",
        str(path),
        "--gateway",
        embedded_mesh.address,
        "--key",
        embedded_mesh.local_key,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    printed = stdout.decode()
    for now_value, readme_value in back.items():
        printed = printed.replace(now_value, readme_value)
    expected = OUTPUTS[f"signalmesh check {name}"].removeprefix(f"$ signalmesh check {name}\n")
    assert printed.rstrip("\n").splitlines() == expected.splitlines(), stderr.decode()
    rejected = "would be REJECTED" in expected
    assert process.returncode == (1 if rejected else 0)
