"""`signalmesh up`: policy, gateway (and the sandbox) as separate processes until Ctrl-C or SIGTERM.

Each service is its own OS process, started as Kubernetes would start it; the command only
prints where each listens, then waits. A service that dies ends the command with exit 1.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from rich.console import Console

from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.config import Config


def run_mesh_until_interrupted(config: Config, config_path: Path | None, *, with_sandbox: bool) -> int:
    """`signalmesh up`: policy, gateway (and the sandbox) until Ctrl-C or SIGTERM."""
    run_dir = config.state_dir / "run"
    config_args = ["--config", str(config_path)] if config_path else []
    processes: list[ServiceProcess] = []
    console = Console()
    try:
        if with_sandbox:
            processes.append(start_service("sandbox", ["sandbox", *config_args], run_dir))
        policy = start_service("policy", ["policy", *config_args], run_dir)
        processes.append(policy)
        gateway = start_service("gateway", ["gateway", *config_args, "--policy", policy.address], run_dir)
        processes.append(gateway)
        for process in processes:
            console.print(f"{process.name:8} {process.address:22} log: {process.log_path}")
        key_file = config.state_dir / "local-api-key"
        if not config.clients and key_file.exists():
            console.print(
                f"local API key: {key_file.read_text().strip()}  (send it as `authorization: Bearer <key>`)"
            )
        console.print("Ctrl-C stops the mesh.")
        stopped = False

        def stop(*_: object) -> None:
            nonlocal stopped
            stopped = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopped and all(process.process.poll() is None for process in processes):
            time.sleep(0.2)
        return 0 if stopped else 1
    finally:
        for process in reversed(processes):
            process.stop()
