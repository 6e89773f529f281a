"""`signalmesh keys new`: an API key for a client, and the hash that goes in ``[[clients]]``."""

from __future__ import annotations

import argparse

from signalmesh.cli.command import Commands
from signalmesh.cli.output import console


def register(commands: Commands) -> None:
    sub = commands.add("keys", _keys, "generate an API key and the hash to put in [[clients]]")
    sub.add_argument("action", choices=["new"])


def _keys(args: argparse.Namespace) -> int:
    from signalmesh.interceptors import generate_api_key, hash_api_key

    key = generate_api_key()
    console.print(f"API key (give it to the client, store it nowhere else): {key}")
    console.print(
        f'[[clients]]\nname = "my-service"\nkey_sha256 = "{hash_api_key(key)}"\n'
        'scopes = ["events:write", "events:read"]'
    )
    return 0
