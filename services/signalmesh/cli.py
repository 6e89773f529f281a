"""The `signalmesh` command: run services, send and inspect events, list plugins.

Exit codes: 0 success, 1 the work failed (events rejected, service error), 2 bad usage or
configuration, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from rich.console import Console
from rich.table import Table

from signalmesh.config import Config, ConfigError, load_config
from signalmesh.plugins import PluginError

if TYPE_CHECKING:
    from signalmesh.client import GatewayClient

# Piped output (CI logs, `make demo | tee`) gets a wide table rather than rich's 80-column default.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, highlight=False)


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except (ConfigError, PluginError) as error:
        errors.print(f"[bold red]configuration error:[/] {error}")
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signalmesh", description="Server-side conversion gateway mesh.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: object, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", type=Path, help="signalmesh.toml (default: built-in embedded settings)")
        sub.set_defaults(handler=handler)
        return sub

    for service in ("gateway", "policy"):
        sub = command(service, _run_service, f"run the {service} service (as Kubernetes runs it)")
        sub.add_argument("--listen", help="host:port to bind (default from the config)")
        sub.add_argument("--ready-file", help=argparse.SUPPRESS)
        if service == "gateway":
            sub.add_argument("--policy", help="policy service address (default from the config)")
    sub = command("sandbox", _run_sandbox, "run the local platform sandbox (HTTP)")
    sub.add_argument("--listen", help="host:port (default 127.0.0.1:7480)")
    sub.add_argument("--token", action="append", help="an access token the sandbox accepts (repeatable)")
    sub.add_argument("--ready-file", help=argparse.SUPPRESS)

    sub = command("up", _up, "run the whole mesh (policy, gateway, sandbox) as separate processes")
    sub.add_argument("--no-sandbox", action="store_true", help="do not start the local platform sandbox")
    command("demo", _demo, "start the embedded mesh, send sample events, show what happened, stop")
    command("plugins", _plugins, "list the installed connectors")

    for name, handler, help_text in (
        ("send", _send, "send ConversionEvents from a file (proto3 JSON, one per line)"),
        ("check", _check, "dry run: validation, decisions and exact payloads; nothing is sent"),
    ):
        sub = command(name, handler, help_text)
        sub.add_argument("file", type=Path)
        _client_options(sub)
        if name == "send":
            sub.add_argument("--batch-size", type=int, default=500)
        else:
            sub.add_argument("--json", action="store_true", help="print the raw CheckEvent result as JSON")
    sub = command("status", _status, "explain one event per destination")
    sub.add_argument("event_id")
    _client_options(sub)
    sub = command("dlq", _dlq, "list or replay dead letters (replay needs the admin scope)")
    sub.add_argument("action", choices=["list", "replay"])
    sub.add_argument("--destination", default="", help="only this destination")
    sub.add_argument("--reason", default="", help="only reasons containing this text, e.g. expired")
    sub.add_argument("--limit", type=int, default=100, help="most dead letters to list (default 100)")
    sub.add_argument(
        "--id", action="append", default=[], dest="ids", help="replay this entry id (repeatable)"
    )
    sub.add_argument("--all", action="store_true", help="replay every dead letter matching the filters")
    sub.add_argument(
        "--json", action="store_true", help="list: print each dead letter as JSON, with its last request"
    )
    _client_options(sub)
    sub = command("keys", _keys, "generate an API key and the hash to put in [[clients]]")
    sub.add_argument("action", choices=["new"])
    return parser


def _client_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--gateway", help="gateway address (default from the config)")
    sub.add_argument("--key", help="API key (default: the embedded mesh's local key)")


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


# --- services ---------------------------------------------------------------------------------


def _run_service(args: argparse.Namespace) -> int:
    from signalmesh import grpc_runtime
    from signalmesh.launcher import write_ready_file
    from signalmesh.telemetry.logging import setup_logging
    from signalmesh.telemetry.metrics import setup_metrics, shutdown_metrics
    from signalmesh.telemetry.tracing import setup_tracing, shutdown_tracing

    config = _config(args)
    setup_logging(args.command)
    provider = setup_tracing(f"signalmesh-{args.command}")
    meter_provider = setup_metrics(f"signalmesh-{args.command}")

    async def run() -> None:
        if args.command == "gateway":
            from signalmesh.gateway.server import serve_gateway

            runtime = await serve_gateway(config, listen=args.listen, policy_address=args.policy)
            if runtime.local_key:
                errors.print(
                    f"local API key: {runtime.local_key} (stored in {config.state_dir / 'local-api-key'})"
                )
        else:
            from signalmesh.policy.server import serve_policy

            runtime = await serve_policy(config, listen=args.listen)  # type: ignore[assignment]
        write_ready_file(args.ready_file, runtime.address)
        await _until_signalled()
        await runtime.stop()

    grpc_runtime.run(run())
    shutdown_tracing(provider)
    shutdown_metrics(meter_provider)
    return 0


def _run_sandbox(args: argparse.Namespace) -> int:
    from signalmesh import grpc_runtime
    from signalmesh.launcher import write_ready_file
    from signalmesh.sandbox import start_sandbox

    config = _config(args)
    host, _, port = (args.listen or config.sandbox.listen).rpartition(":")
    tokens = tuple(args.token) if args.token else config.sandbox.tokens

    async def run() -> None:
        sandbox = await start_sandbox(host=host, port=int(port), tokens=tokens)
        write_ready_file(args.ready_file, sandbox.url.removeprefix("http://"))
        errors.print(f"sandbox listening on {sandbox.url}")
        await _until_signalled()
        await sandbox.close()

    grpc_runtime.run(run())
    return 0


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _up(args: argparse.Namespace) -> int:
    from signalmesh.demo import run_mesh_until_interrupted

    return run_mesh_until_interrupted(_config(args), args.config, with_sandbox=not args.no_sandbox)


def _demo(args: argparse.Namespace) -> int:
    from signalmesh.demo import run_demo

    return run_demo(console)


def _plugins(args: argparse.Namespace) -> int:
    from signalmesh.plugins import load_registry

    registry = load_registry(_config(args).plugins_allow)
    table = Table(title="Installed connectors")
    for column in ("connector", "distribution", "version", "batch limit", "description"):
        table.add_column(column)
    for info in registry.infos():
        limit = str(info.connector.limits.max_events_per_request)
        table.add_row(info.connector.name, info.distribution, info.version, limit, info.connector.description)
    console.print(table)
    return 0 if registry.infos() else 1


def _keys(args: argparse.Namespace) -> int:
    from signalmesh.interceptors import generate_api_key, hash_api_key

    key = generate_api_key()
    console.print(f"API key (give it to the client, store it nowhere else): {key}")
    console.print(
        f'[[clients]]\nname = "my-service"\nkey_sha256 = "{hash_api_key(key)}"\n'
        'scopes = ["events:write", "events:read"]'
    )
    return 0


# --- client commands --------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> GatewayClient:
    from signalmesh.client import GatewayClient

    config = _config(args)
    key = args.key
    if key is None:
        key_file = config.state_dir / "local-api-key"
        if not key_file.exists():
            raise ConfigError(
                f"no --key given and no local key at {key_file}: "
                "pass --key or start the mesh with `signalmesh up`"
            )
        key = key_file.read_text().strip()
    return GatewayClient(args.gateway or config.gateway.listen, key)


def _send(args: argparse.Namespace) -> int:
    from signalmesh.reports import send_file

    return _rpc(lambda: send_file(_client(args), args.file, args.batch_size, console))


def _check(args: argparse.Namespace) -> int:
    from signalmesh.reports import check_file

    return _rpc(lambda: check_file(_client(args), args.file, args.json, console))


def _status(args: argparse.Namespace) -> int:
    from signalmesh.reports import print_status

    return _rpc(lambda: print_status(_client(args), args.event_id, console))


def _dlq(args: argparse.Namespace) -> int:
    from signalmesh.reports import print_dead_letters, replay_dead_letters

    if args.action == "list":
        return _rpc(
            lambda: print_dead_letters(
                _client(args), args.destination, args.reason, args.limit, args.json, console
            )
        )
    if not args.ids and not args.all:
        errors.print(
            "dlq replay: name entries with --id ENTRY (repeatable) or pass --all (with optional filters)"
        )
        return 2
    return _rpc(lambda: replay_dead_letters(_client(args), args.ids, args.destination, args.reason, console))


def _rpc(action: object) -> int:
    from signalmesh.client import EventFileError

    try:
        return action()  # type: ignore[operator,no-any-return]
    except EventFileError as error:
        errors.print(f"[bold red]bad events file:[/] {error}")
        return 2
    except grpc.RpcError as error:
        code = error.code()  # type: ignore[attr-defined]
        errors.print(f"[bold red]{code.name}:[/] {error.details()}")  # type: ignore[attr-defined]
        return 2 if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED) else 1


if __name__ == "__main__":
    main()
