"""`--ca` and ``[client]``: which CA and certificate the CLI dials a TLS gateway with."""

from __future__ import annotations

import pytest
from signalmesh.cli.gateway_calls import client_tls
from signalmesh.config import ClientTls, ConfigError


def test_without_ca_the_configured_client_settings_are_used():
    configured = ClientTls(ca="ca.pem", cert="c.pem", key="k.pem", keys="client.tls_")
    assert client_tls(configured, None) is configured
    assert client_tls(None, None) is None


def test_ca_overrides_the_configured_ca_and_keeps_the_client_certificate(tmp_path):
    ca = tmp_path / "other-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    configured = ClientTls(ca="ca.pem", cert="c.pem", key="k.pem", keys="client.tls_")
    assert client_tls(configured, str(ca)) == ClientTls(str(ca), "c.pem", "k.pem", keys="client.tls_")
    assert client_tls(None, str(ca)) == ClientTls(ca=str(ca), keys="client.tls_")


def test_a_missing_ca_file_is_a_usage_error_naming_the_flag(tmp_path):
    with pytest.raises(ConfigError, match=r"--ca: no such file .*absent\.pem"):
        client_tls(None, str(tmp_path / "absent.pem"))
