"""The TLS keys of [gateway], [policy] and [client]: both halves of a pair or neither, a client CA
only with TLS, and each path reported under its own key."""

from __future__ import annotations

import pytest
from signalmesh.config import ClientTls, ConfigError, ServerTls, config_from_mapping


def load(**tables):
    return config_from_mapping(tables, {}, source=None)


def test_no_tls_keys_mean_plaintext_everywhere():
    config = load()
    assert (config.gateway.tls, config.gateway.policy_tls, config.policy.tls, config.client_tls) == (
        None,
    ) * 4


def test_every_tls_key_lands_where_it_should():
    config = load(
        gateway={
            "tls_cert": "g.pem",
            "tls_key": "g-key.pem",
            "tls_client_ca": "ca.pem",
            "policy_tls_ca": "ca.pem",
            "policy_tls_cert": "c.pem",
            "policy_tls_key": "c-key.pem",
        },
        policy={"tls_cert": "p.pem", "tls_key": "p-key.pem", "tls_client_ca": "ca.pem"},
        client={"tls_ca": "ca.pem"},
    )
    assert config.gateway.tls == ServerTls("g.pem", "g-key.pem", "ca.pem", section="gateway")
    assert config.gateway.policy_tls == ClientTls("ca.pem", "c.pem", "c-key.pem", keys="gateway.policy_tls_")
    assert config.policy.tls == ServerTls("p.pem", "p-key.pem", "ca.pem", section="policy")
    assert config.client_tls == ClientTls(ca="ca.pem", keys="client.tls_")


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"gateway": {"tls_cert": "g.pem"}}, "gateway.tls_cert and gateway.tls_key: set both"),
        ({"policy": {"tls_client_ca": "ca.pem"}}, "policy.tls_client_ca: needs policy.tls_cert"),
        ({"gateway": {"policy_tls_key": "k.pem"}}, "gateway.policy_tls_cert and gateway.policy_tls_key"),
        ({"client": {"tls_cert": "c.pem"}}, "client.tls_cert and client.tls_key: set both"),
        ({"client": {"tls_cas": "ca.pem"}}, "client: unknown key(s) ['tls_cas']"),
        ({"policy": {"tls_cert": 1}}, "policy.tls_cert: must be a str"),
    ],
)
def test_incomplete_or_misspelt_tls_settings_are_refused(tables, message):
    with pytest.raises(ConfigError) as error:
        load(**tables)
    assert message in str(error.value)
