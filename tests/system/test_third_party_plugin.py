"""A connector written by another team, following plugins/README.md literally, installed as its
own distribution outside this repository's packages, is discovered and routed to by the running
mesh — with no change to the core."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2

from tests.integration.mesh.conftest import make_event
from tests.system.conftest import gateway_stub, wait_until

ROOT = Path(__file__).resolve().parents[2]
FILE_BLOCK = re.compile(r"^### (?P<path>\S+)\n\n```\w*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def package_from_guide(target: Path) -> Path:
    """Write every `### path` + code block of the connector guide to ``target``."""
    guide = (ROOT / "plugins" / "README.md").read_text()
    files = {match["path"]: match["body"] for match in FILE_BLOCK.finditer(guide)}
    assert "pyproject.toml" in files and any(path.endswith("connector.py") for path in files)
    for relative, body in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return target


def install(package: Path, site: Path) -> dict[str, str]:
    """pip-install the package into its own directory; return the environment that sees it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


async def test_a_connector_from_the_guide_is_installed_and_receives_events(launcher, tmp_path):
    package = package_from_guide(tmp_path / "signalmesh-example")
    environment = install(package, tmp_path / "site")

    listing = subprocess.run(
        [sys.executable, "-m", "signalmesh.cli", "plugins"],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"example\s+│\s+signalmesh-example\s+│\s+0\.1\.0", listing.stdout), listing.stdout
    assert re.search(r"meta\s+│\s+signalmesh-meta", listing.stdout)
    # The guide's own tests, as its section 4 runs them: discovery, behaviour and the conformance kit.
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package)],
        env={**os.environ, **environment},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert (
        "TestExampleConformance"
        in subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(package)],
            env={**os.environ, **environment},
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout
    ), "the guide's conformance test was not collected"

    sandbox = await launcher.astart("sandbox", "sandbox", "--listen", "127.0.0.1:0")
    extra = f'[destinations.crm]\nconnector = "example"\nurl = "http://{sandbox.address}/webhook/crm"\n'
    config = launcher.write_config(sandbox, extra=extra)
    _, gateway = await launcher.start_mesh(config, environment=environment)
    channel, stub = gateway_stub(gateway.address)
    event = make_event(
        "third-party-1",
        destinations=["crm"],
        click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(time.time() * 1000)}.x"),
    )
    response = await stub.SendEvents(
        gateway_pb2.SendEventsRequest(events=[event]),
        metadata=(("authorization", f"Bearer {launcher.api_key()}"),),
        timeout=10,
    )
    assert [item.destination for item in response.results[0].decisions] == ["crm"], (
        "routed beyond the event's destinations"
    )
    control = SandboxControl(f"http://{sandbox.address}")

    async def received() -> list:
        return (await control.events("webhook", "crm")).events

    [delivered] = await wait_until(received, 15, "the third-party connector never delivered")
    assert delivered["id"] == "third-party-1"
    assert delivered["email_sha256"] == [hashlib.sha256(b"jane.doe@example.com").hexdigest()]
    assert (await control.events("meta", "1234567890")).events == [], "an event for crm reached meta"
    await control.close()
    await channel.close()
