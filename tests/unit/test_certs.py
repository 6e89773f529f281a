"""`signalmesh certs`' CA and certificates: a chain TLS accepts, the right names, private keys."""

from __future__ import annotations

import ipaddress
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from signalmesh.certs import write_development_certificates
from signalmesh.cli.main import main


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_server_and_client_certificates_are_signed_by_the_new_ca(tmp_path):
    files = write_development_certificates(tmp_path, ["localhost", "127.0.0.1", "policy.mesh.svc"])
    ca, server, client = load(files.ca_cert), load(files.server_cert), load(files.client_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for leaf in (server, client):
        assert leaf.issuer == ca.subject
        leaf.verify_directly_issued_by(ca)  # raises when the signature is not the CA's
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "policy.mesh.svc"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    usages = {
        leaf: list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        for leaf in (server, client)
    }
    assert usages[server] == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert usages[client] == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_keys_are_private_and_each_certificate_has_its_own(tmp_path):
    files = write_development_certificates(tmp_path)
    keys = (files.ca_key, files.server_key, files.client_key)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in keys)
    assert len({path.read_bytes() for path in keys}) == 3
    assert all(b"PRIVATE KEY" in path.read_bytes() for path in keys)
    assert isinstance(load(files.server_cert).public_key(), ec.EllipticCurvePublicKey)


def test_a_second_run_makes_a_different_ca(tmp_path):
    first = load(write_development_certificates(tmp_path / "a").ca_cert)
    second = load(write_development_certificates(tmp_path / "b").ca_cert)
    assert first.serial_number != second.serial_number
    assert first.public_key().public_numbers() != second.public_key().public_numbers()


def test_the_command_writes_the_files_and_prints_the_settings(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["certs", "--dir", str(tmp_path / "certs"), "--hosts", "gateway.local,10.0.0.7"])
    assert exited.value.code == 0
    written = sorted(path.name for path in (tmp_path / "certs").iterdir())
    assert written == ["ca-key.pem", "ca.pem", "client-key.pem", "client.pem", "server-key.pem", "server.pem"]
    names = (
        load(tmp_path / "certs" / "server.pem")
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert names.get_values_for_type(x509.DNSName) == ["gateway.local"]
    output = capsys.readouterr().out
    assert "tls_client_ca =" in output and "policy_tls_cert =" in output and "tls_ca =" in output
