"""`signalmesh gateway`, `signalmesh policy`, `signalmesh sandbox`: one service in this process,
as Kubernetes runs it. The gateway and policy entries are their packages' ``__main__``."""

from __future__ import annotations

import argparse

from signalmesh.cli.command import Commands, config_of
from signalmesh.cli.output import errors


def register(commands: Commands) -> None:
    from signalmesh.gateway import __main__ as gateway_main
    from signalmesh.policy import __main__ as policy_main

    gateway_main.add_arguments(
        commands.add("gateway", _gateway, "run the gateway service (as Kubernetes runs it)")
    )
    policy_main.add_arguments(
        commands.add("policy", _policy, "run the policy service (as Kubernetes runs it)")
    )
    sub = commands.add("sandbox", _sandbox, "run the local platform sandbox (HTTP)")
    sub.add_argument("--listen", help="host:port (default 127.0.0.1:7480)")
    sub.add_argument("--token", action="append", help="an access token the sandbox accepts (repeatable)")
    sub.add_argument("--ready-file", help=argparse.SUPPRESS)


def _gateway(args: argparse.Namespace) -> int:
    from signalmesh.gateway.__main__ import run

    return run(config_of(args), args)


def _policy(args: argparse.Namespace) -> int:
    from signalmesh.policy.__main__ import run

    return run(config_of(args), args)


def _sandbox(args: argparse.Namespace) -> int:
    from signalmesh import grpc_runtime
    from signalmesh.sandbox import start_sandbox
    from signalmesh.service_process import until_signalled, write_ready_file

    config = config_of(args)
    host, _, port = (args.listen or config.sandbox.listen).rpartition(":")
    tokens = tuple(args.token) if args.token else config.sandbox.tokens

    async def run() -> None:
        sandbox = await start_sandbox(host=host, port=int(port), tokens=tokens)
        write_ready_file(args.ready_file, sandbox.url.removeprefix("http://"))
        errors.print(f"sandbox listening on {sandbox.url}")
        await until_signalled()
        await sandbox.close()

    grpc_runtime.run(run())
    return 0
