"""The TLS keys of signalmesh.toml: a server's ``tls_cert``/``tls_key``/``tls_client_ca`` and a
client's ``tls_ca``/``tls_cert``/``tls_key`` (under any prefix, e.g. ``[gateway] policy_tls_*``).

The files are read when a server or channel is made (``signalmesh.tls``): a missing one stops
the service at start-up with an error naming the key, never a handshake failure on the first
call. (Not at load time: a config is also loaded where the files are not mounted, e.g. by the CLI.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import ClientTls, ServerTls
from signalmesh.config.values import ConfigError, typed


def _pem_path(data: Mapping[str, Any], key: str, section: str) -> str | None:
    value: str = typed(data, key, str, "", section)
    return value or None


def load_server_tls(data: Mapping[str, Any], section: str) -> ServerTls | None:
    """``tls_cert`` + ``tls_key`` (both or neither), optionally ``tls_client_ca``."""
    cert = _pem_path(data, "tls_cert", section)
    key = _pem_path(data, "tls_key", section)
    client_ca = _pem_path(data, "tls_client_ca", section)
    if (cert is None) != (key is None):
        raise ConfigError(
            f"{section}.tls_cert and {section}.tls_key: set both (the certificate and its key) or neither"
        )
    if cert is None or key is None:
        if client_ca is not None:
            raise ConfigError(
                f"{section}.tls_client_ca: needs {section}.tls_cert and tls_key "
                "(client certificates need TLS)"
            )
        return None
    return ServerTls(cert=cert, key=key, client_ca=client_ca, section=section)


def load_client_tls(data: Mapping[str, Any], section: str, prefix: str = "tls_") -> ClientTls | None:
    """``<prefix>ca``, ``<prefix>cert``, ``<prefix>key``; None when none is set (plaintext)."""
    ca = _pem_path(data, f"{prefix}ca", section)
    cert = _pem_path(data, f"{prefix}cert", section)
    key = _pem_path(data, f"{prefix}key", section)
    if (cert is None) != (key is None):
        raise ConfigError(
            f"{section}.{prefix}cert and {section}.{prefix}key: "
            "set both (the certificate and its key) or neither"
        )
    if ca is None and cert is None:
        return None
    return ClientTls(ca=ca, cert=cert, key=key, keys=f"{section}.{prefix}")


SERVER_TLS_KEYS = {"tls_cert", "tls_key", "tls_client_ca"}


def client_tls_keys(prefix: str = "tls_") -> set[str]:
    return {f"{prefix}ca", f"{prefix}cert", f"{prefix}key"}
