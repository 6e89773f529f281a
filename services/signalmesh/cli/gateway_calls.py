"""What every subcommand that talks to a running gateway shares: ``--gateway``/``--key``, the
client they make, and the exit code a failed call becomes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import grpc

from signalmesh.cli.client import EventFileError, GatewayClient
from signalmesh.cli.command import config_of
from signalmesh.cli.output import errors
from signalmesh.config import ClientTls, ConfigError


def add_client_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--gateway", help="gateway address (default from the config)")
    sub.add_argument("--key", help="API key (default: the embedded mesh's local key)")
    sub.add_argument(
        "--ca", help="CA certificate (PEM) to trust for a TLS gateway (default: [client] tls_ca)"
    )


def gateway_client(args: argparse.Namespace) -> GatewayClient:
    """A client for ``--gateway`` with ``--key``, or the embedded mesh's local key."""
    config = config_of(args)
    key = args.key
    if key is None:
        key_file = config.state_dir / "local-api-key"
        if not key_file.exists():
            raise ConfigError(
                f"no --key given and no local key at {key_file}: "
                "pass --key or start the mesh with `signalmesh up`"
            )
        key = key_file.read_text().strip()
    tls = client_tls(config.client_tls, args.ca)
    return GatewayClient(args.gateway or config.gateway.listen, key, tls=tls)


def client_tls(configured: ClientTls | None, ca: str | None) -> ClientTls | None:
    """``[client]``'s TLS settings, with ``--ca`` (when given) as the CA to trust."""
    if ca is None:
        return configured
    if not Path(ca).is_file():
        raise ConfigError(f"--ca: no such file {ca!r}; pass the CA certificate's PEM file (ca.pem)")
    base = configured or ClientTls(keys="client.tls_")
    return ClientTls(ca=ca, cert=base.cert, key=base.key, keys=base.keys)


def call_gateway(action: Callable[[], int]) -> int:
    """``action()``'s exit code; a bad events file exits 2, a failed RPC prints its status and
    exits 2 for credentials (fix the invocation) or 1 otherwise (the work failed)."""
    try:
        return action()
    except EventFileError as error:
        errors.print(f"[bold red]bad events file:[/] {error}")
        return 2
    except grpc.RpcError as error:
        code = error.code()  # type: ignore[attr-defined]
        errors.print(f"[bold red]{code.name}:[/] {error.details()}")  # type: ignore[attr-defined]
        return 2 if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED) else 1
