"""A real ``redis-server`` speaking only TLS (``--port 0 --tls-port N``), with certificates from
`signalmesh certs`, for the ``rediss://`` store tests. Debian's redis-server is built with TLS;
one built without it exits at once on ``--tls-port``, which fails the test with a hint (never a
skip: ``rediss://`` support would then go untested)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from signalmesh.certs import CertificateFiles

from tests.support.redis_server import _port_the_os_picks, answers_ping


def tls_url(port: int, ca: Path) -> str:
    """The store's URL for it: rediss:// trusting the development CA (redis-py's URL option)."""
    return f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}"


@contextmanager
def tls_redis_server(
    directory: Path, certs: CertificateFiles, deadline_seconds: float = 10.0
) -> Iterator[str]:
    """Run a TLS-only redis-server on a free port; yield its ``rediss://`` URL; stop it on exit."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed: install it (Debian: apt-get install redis-server)")
    port = _port_the_os_picks()
    log = directory / "redis-tls.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                executable,
                *("--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
                *("--tls-cert-file", str(certs.server_cert), "--tls-key-file", str(certs.server_key)),
                *("--tls-ca-cert-file", str(certs.ca_cert), "--tls-auth-clients", "no"),
                *("--save", "", "--appendonly", "no", "--dir", str(directory)),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = tls_url(port, certs.ca_cert)
    try:
        deadline = time.monotonic() + deadline_seconds
        while not answers_ping(url, timeout_seconds=0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "redis-server did not answer over TLS (is it built with TLS? Debian's is; "
                    f"`redis-server --tls-port` must be accepted). Log:\n{log.read_text()}"
                )
            time.sleep(0.02)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=deadline_seconds)
