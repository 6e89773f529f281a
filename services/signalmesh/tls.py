"""TLS settings → gRPC credentials, and the one rule about who may listen without them.

Kept apart from ``grpc_runtime`` so the server's other options (keepalive, stream limits) and
its credentials change independently.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path

import grpc

from signalmesh.config import ClientTls, ConfigError, ServerTls


def _read(path: str | None, setting: str) -> bytes | None:
    """The PEM file at ``path``; unreadable is a configuration error naming ``setting``."""
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{setting}: cannot read {path!r} ({error.strerror}); "
            "point it at a PEM file (`signalmesh certs` makes development ones)"
        ) from None


def server_credentials(tls: ServerTls) -> grpc.ServerCredentials:
    """The server's certificate; with a client CA, a client certificate it signed is REQUIRED
    (the handshake fails without one, before any call reaches an interceptor)."""
    key = _read(tls.key, f"{tls.section}.tls_key")
    cert = _read(tls.cert, f"{tls.section}.tls_cert")
    client_ca = _read(tls.client_ca, f"{tls.section}.tls_client_ca")
    assert key is not None and cert is not None  # ServerTls always has both
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def channel_credentials(tls: ClientTls) -> grpc.ChannelCredentials:
    """Trust ``tls.ca`` (or the system roots) and present ``tls.cert`` when it is set."""
    return grpc.ssl_channel_credentials(
        root_certificates=_read(tls.ca, f"{tls.keys}ca"),
        private_key=_read(tls.key, f"{tls.keys}key"),
        certificate_chain=_read(tls.cert, f"{tls.keys}cert"),
    )


def aio_channel(
    address: str,
    tls: ClientTls | None,
    interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
) -> grpc.aio.Channel:
    """A grpc.aio channel to ``address``: TLS when ``tls`` is given, plaintext otherwise."""
    if tls is None:
        return grpc.aio.insecure_channel(address, interceptors=list(interceptors))
    return grpc.aio.secure_channel(address, channel_credentials(tls), interceptors=list(interceptors))


def sync_channel(address: str, tls: ClientTls | None) -> grpc.Channel:
    """The synchronous twin of :func:`aio_channel` (the CLI)."""
    if tls is None:
        return grpc.insecure_channel(address)
    return grpc.secure_channel(address, channel_credentials(tls))


def listen_host(listen: str) -> str:
    """The host part of ``host:port`` / ``[v6]:port``, brackets removed."""
    if listen.startswith("[") and "]" in listen:
        return listen[1 : listen.index("]")]
    return listen.rsplit(":", 1)[0] if ":" in listen else listen


def is_loopback(listen: str) -> bool:
    """True when ``listen`` binds only this machine: 127.0.0.0/8, ::1 or localhost. A wildcard
    (0.0.0.0, [::], "") or any other name or address can be reached from elsewhere."""
    host = listen_host(listen)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unauthenticated_exposure(listen: str, token: str | None, tls: ServerTls | None) -> str | None:
    """Why policy must not start on ``listen`` (None: it may). Beyond loopback it needs a
    caller it can authenticate: ``[policy] token``, or mTLS (``tls_client_ca``). Without either,
    anyone who reaches the port could flip a destination to send_all or claim dedup keys."""
    if is_loopback(listen) or token or (tls is not None and tls.client_ca):
        return None
    return (
        f"policy would listen on {listen}, beyond loopback, without authentication: "
        "set [policy] token (the gateway sends the same one) or mTLS "
        "([policy] tls_cert, tls_key and tls_client_ca), or listen on 127.0.0.1"
    )


def check_files(*settings: ServerTls | ClientTls | None) -> None:
    """Read every PEM file ``settings`` name, so a missing one stops a service at start-up
    (a ConfigError naming the key) before it opens its store or binds a port."""
    for tls in settings:
        if isinstance(tls, ServerTls):
            server_credentials(tls)
        elif isinstance(tls, ClientTls):
            channel_credentials(tls)
