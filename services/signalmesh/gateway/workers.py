"""`[gateway] workers = N`: N gateway processes on one port, so the gateway uses every core.

Python runs one event loop per process on one core; the kernel's SO_REUSEPORT spreads incoming
connections over every process listening on a port. The supervisor (the process `signalmesh
gateway` starts) checks the port is free, keeps it reserved with a bound, non-listening socket
(so a port-0 address stays the same for every worker), starts the workers as
``python -m signalmesh.gateway --worker-index I``, and announces the address once all are ready.

Each worker is a full replica on the shared store: dispatcher claims are leases, the alert watch
holds the store's ``alerts`` lease, housekeeping is idempotent (as for replicas). SIGTERM or
SIGINT to the supervisor is forwarded to every worker, each stops gracefully (health
NOT_SERVING, calls and batches in flight finished), and the supervisor exits 0 once all have.
A worker that dies on its own makes the supervisor stop the others and exit 1, so the process
manager (Kubernetes, systemd, `signalmesh up`) restarts the gateway whole; nothing accepted is
lost, the outbox is durable and the dead worker's leases expire. A worker dies with its
supervisor (``PR_SET_PDEATHSIG``), so a killed supervisor leaves no orphan on the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from signalmesh.service_process import write_ready_file

_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}
_PR_SET_PDEATHSIG = 1


def reserve_port(listen: str) -> tuple[socket.socket, str]:
    """Check ``listen`` is free (a second gateway must not silently share it) and reserve it with
    a SO_REUSEPORT socket the workers can bind beside; returns (socket, concrete host:port)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, int(port)))
        except OSError as error:
            raise OSError(
                f"cannot listen on {listen}: {error} (is another process using the port?)"
            ) from None
        chosen = probe.getsockname()[1]
    reserved = socket.socket(family, socket.SOCK_STREAM)
    reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reserved.bind((host, chosen))
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return reserved, f"{shown}:{chosen}"


def die_with_parent(parent_pid: int) -> None:
    """In a worker: be killed when the supervisor dies (Linux), and unblock the signals the
    supervisor blocked before starting us (a signal mask is inherited)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the supervisor died before prctl took effect
        os._exit(1)


def supervise(
    count: int,
    listen: str,
    worker_arguments: Sequence[str],
    *,
    ready_file: str | None,
    start_timeout: float = 60.0,
) -> int:
    """Run ``count`` workers on ``listen`` until signalled; the exit code (see the module doc)."""
    reserved, address = reserve_port(listen)
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    with reserved, tempfile.TemporaryDirectory(prefix="signalmesh-workers-") as directory:
        ready_files = [Path(directory) / f"worker-{index}.ready" for index in range(count)]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "signalmesh.gateway",
                    *worker_arguments,
                    "--listen",
                    address,
                    "--worker-index",
                    str(index),
                    "--supervisor-pid",
                    str(os.getpid()),
                    "--ready-file",
                    str(ready_files[index]),
                ]
            )
            for index in range(count)
        ]
        if not _wait_ready(workers, ready_files, start_timeout):
            _stop(workers)
            print("gateway: a worker did not start; see its output above", file=sys.stderr)
            return 1
        reserved.close()  # the workers hold the port now
        write_ready_file(ready_file, address)
        print(f"gateway: {count} workers on {address}", file=sys.stderr)
        return _watch(workers)


def _wait_ready(workers: list[subprocess.Popen[bytes]], ready_files: list[Path], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            return False
        if all(path.exists() for path in ready_files):
            return True
        # Woken early by a worker's exit (SIGCHLD) or a stop signal, else checks again.
        received = signal.sigtimedwait(_SIGNALS, 0.05)
        if received is not None and received.si_signo != signal.SIGCHLD:
            return False
    return False


def _watch(workers: list[subprocess.Popen[bytes]]) -> int:
    while True:
        received = signal.sigwaitinfo(_SIGNALS)
        if received.si_signo != signal.SIGCHLD:
            codes = _stop(workers)
            return 0 if all(code == 0 for code in codes) else 1
        dead = [worker for worker in workers if worker.poll() is not None]
        if dead:
            print(
                f"gateway: worker pid {dead[0].pid} exited with {dead[0].returncode}; stopping the others",
                file=sys.stderr,
            )
            _stop(workers)
            return 1


def _stop(workers: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> list[int]:
    """SIGTERM to every live worker, wait for each (SIGKILL past ``timeout``)."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout))
        except subprocess.TimeoutExpired:
            worker.kill()
            codes.append(worker.wait())
    return codes
