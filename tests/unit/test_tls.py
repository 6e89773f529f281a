"""Who may listen without authentication (loopback only) and how listen addresses are read."""

from __future__ import annotations

import pytest
from signalmesh.config import ServerTls
from signalmesh.tls import is_loopback, listen_host, unauthenticated_exposure


@pytest.mark.parametrize(
    ("listen", "host"),
    [
        ("127.0.0.1:7401", "127.0.0.1"),
        ("[::1]:7401", "::1"),
        ("[::]:7401", "::"),
        ("localhost:0", "localhost"),
        (":7401", ""),
    ],
)
def test_the_host_of_a_listen_address(listen, host):
    assert listen_host(listen) == host


@pytest.mark.parametrize("listen", ["127.0.0.1:7401", "127.0.0.9:1", "[::1]:7401", "localhost:7401"])
def test_loopback_addresses(listen):
    assert is_loopback(listen)


@pytest.mark.parametrize(
    "listen",
    ["0.0.0.0:7401", "[::]:7401", ":7401", "10.0.0.5:7401", "policy.mesh.svc:7401", "[2001:db8::1]:1"],
)
def test_anything_else_is_reachable_from_elsewhere(listen):
    assert not is_loopback(listen)


def test_beyond_loopback_without_token_or_mtls_is_refused_naming_the_settings():
    problem = unauthenticated_exposure("0.0.0.0:7401", None, None)
    assert problem is not None
    assert "0.0.0.0:7401" in problem and "[policy] token" in problem and "tls_client_ca" in problem


def test_tls_without_client_certificates_is_not_authentication():
    assert unauthenticated_exposure("0.0.0.0:7401", None, ServerTls(cert="c", key="k")) is not None


@pytest.mark.parametrize(
    ("listen", "token", "tls"),
    [
        ("127.0.0.1:7401", None, None),
        ("0.0.0.0:7401", "a-shared-secret", None),
        ("0.0.0.0:7401", None, ServerTls(cert="c", key="k", client_ca="ca")),
    ],
    ids=["loopback", "token", "mtls"],
)
def test_loopback_a_token_or_mtls_may_start(listen, token, tls):
    assert unauthenticated_exposure(listen, token, tls) is None
