"""The workers' supervisor reserves its port: a busy port is refused (no silent sharing), and the
reserved one takes the workers' SO_REUSEPORT binds."""

from __future__ import annotations

import socket

import pytest
from signalmesh.gateway.workers import reserve_port


def test_port_zero_becomes_one_concrete_port_the_workers_can_bind_beside():
    reserved, address = reserve_port("127.0.0.1:0")
    with reserved:
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1"
        assert int(port) > 0
        with socket.socket() as worker:
            worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            worker.bind((host, int(port)))
            worker.listen()


def test_a_port_another_process_listens_on_is_refused():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(OSError, match="another process"):
            reserve_port(f"127.0.0.1:{port}")
