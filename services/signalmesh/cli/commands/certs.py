"""`signalmesh certs`: a development CA plus server and client certificates, to run every hop
over TLS / mTLS on a laptop or in a test cluster (production uses the organisation's own PKI)."""

from __future__ import annotations

import argparse
from pathlib import Path

from signalmesh.cli.command import Commands
from signalmesh.cli.output import console


def register(commands: Commands) -> None:
    sub = commands.add("certs", _certs, "make a development CA and server/client certificates for TLS")
    sub.add_argument(
        "--dir", type=Path, default=Path("certs"), help="where to write the PEM files (default: ./certs)"
    )
    sub.add_argument(
        "--hosts",
        default="localhost,127.0.0.1,::1",
        help="comma-separated names/IPs the server certificate is valid for (default: %(default)s)",
    )


def _certs(args: argparse.Namespace) -> int:
    from signalmesh.certs import write_development_certificates

    hosts = [host.strip() for host in args.hosts.split(",") if host.strip()]
    files = write_development_certificates(args.dir, hosts)
    console.print(f"development CA and certificates in {args.dir} (server valid for {', '.join(hosts)}):")
    console.print(
        "[gateway]\n"
        f'tls_cert = "{files.server_cert}"\ntls_key = "{files.server_key}"\n'
        f'policy_tls_ca = "{files.ca_cert}"\n'
        f'policy_tls_cert = "{files.client_cert}"\npolicy_tls_key = "{files.client_key}"\n'
        "[policy]\n"
        f'tls_cert = "{files.server_cert}"\ntls_key = "{files.server_key}"\n'
        f'tls_client_ca = "{files.ca_cert}"\n'
        "[client]\n"
        f'tls_ca = "{files.ca_cert}"',
        markup=False,
        highlight=False,
    )
    return 0
