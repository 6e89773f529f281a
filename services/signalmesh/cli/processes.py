"""Starts mesh services as separate OS processes (`signalmesh up`, the demo, system tests).

Each service binds its port (0 = any free port) and then writes its address to a ready file
(``signalmesh.service_process``), so the launcher never guesses ports and never races another
process for one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class LaunchError(RuntimeError):
    """A service did not come up; the message carries the end of its log."""


@dataclass(slots=True)
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    address: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (graceful), then SIGKILL after ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: no chance to clean up (crash-safety tests)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_service(
    name: str,
    arguments: Sequence[str],
    run_dir: Path,
    *,
    environment: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    module: str = "signalmesh.cli",
) -> ServiceProcess:
    """Run ``python -m <module> <arguments>`` (by default ``signalmesh <arguments>``) and wait
    until it reports its address."""
    run_dir.mkdir(parents=True, exist_ok=True)
    ready = run_dir / f"{name}.ready"
    ready.unlink(missing_ok=True)
    log_path = run_dir / f"{name}.log"
    command = [sys.executable, "-m", module, *arguments, "--ready-file", str(ready)]
    env = {**os.environ, **(environment or {})}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready.exists():
            return ServiceProcess(name, process, ready.read_text().strip(), log_path)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()
    tail = log_path.read_text(errors="replace")[-3000:]
    raise LaunchError(f"{name} did not start (exit code {process.returncode}); its log ends:\n{tail}")
