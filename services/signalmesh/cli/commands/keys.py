"""`signalmesh keys new|revoke|list`: API keys, changed without restarting the gateway.

``keys new --client NAME`` stores the key's SHA-256 (with its scopes, destinations and expiry)
in the mesh's store and prints the key once; the gateway sees it within a second. Two keys of
one client are valid side by side, which is how a key is rotated: make the new one, move the
client to it, revoke the old one. Without ``--client``, ``keys new`` only prints a key and the
``[[clients]]`` entry holding its hash, for keys kept in signalmesh.toml. Every change is an
``audit`` log line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import time

from signalmesh.audit import audit
from signalmesh.cli.command import Commands, config_of
from signalmesh.cli.output import console
from signalmesh.config import SCOPES, Config, ConfigError, parse_duration
from signalmesh.store.api_key_records import ApiKeyRecord, key_id_of


def register(commands: Commands) -> None:
    sub = commands.add("keys", _keys, "make, revoke and list API keys (kept in the store; no restart)")
    sub.add_argument("action", choices=["new", "revoke", "list"])
    sub.add_argument("key_id", nargs="?", help="revoke: the key's id (from `keys list` or `keys new`)")
    sub.add_argument("--client", help="new: the client the key names (stored in the mesh's store)")
    sub.add_argument(
        "--scopes",
        default=",".join(SCOPES),
        help=f"new: comma-separated, of {', '.join(SCOPES)} (default: all)",
    )
    sub.add_argument(
        "--destinations", help="new: comma-separated destinations the key may send to (default: all)"
    )
    sub.add_argument("--expires", help="new: the key is refused after this long (e.g. 30d, 12h)")


def _keys(args: argparse.Namespace) -> int:
    from signalmesh.interceptors import generate_api_key, hash_api_key

    if args.action == "new" and not args.client:
        key = generate_api_key()
        console.print(f"API key (give it to the client, store it nowhere else): {key}")
        console.print(
            f'[[clients]]\nname = "my-service"\nkey_sha256 = "{hash_api_key(key)}"\n'
            'scopes = ["events:write", "events:read"]'
        )
        return 0
    config = config_of(args)
    actor = f"cli:{getpass.getuser()}"
    if args.action == "new":
        key = generate_api_key()
        record = new_record(args, hash_api_key(key), config, time.time())
        asyncio.run(_add(config, record))
        audit(actor, "keys.new", f"client={record.client} key_id={record.key_id}")
        console.print(f"API key for {record.client} (shown once; give it to the client): {key}")
        console.print(f"key id: {record.key_id} (revoke with `signalmesh keys revoke {record.key_id}`)")
        return 0
    if args.action == "revoke":
        if not args.key_id:
            raise ConfigError("keys revoke: give the key's id (see `signalmesh keys list`)")
        found = asyncio.run(_revoke(config, args.key_id))
        audit(actor, "keys.revoke", f"key_id={args.key_id}", "OK" if found else "NOT_FOUND")
        if not found:
            console.print(f"no stored API key has id {args.key_id!r} (see `signalmesh keys list`)")
            return 1
        console.print(f"revoked {args.key_id}: the gateway refuses it within a second")
        return 0
    records = asyncio.run(_list(config))
    now = time.time()
    for item in records:
        state = "revoked" if item.revoked_at else "expired" if not item.valid_at(now) else "valid"
        expiry = time.strftime("%Y-%m-%d %H:%M", time.gmtime(item.expires_at)) if item.expires_at else "never"
        where = ",".join(item.destinations) if item.destinations else "all"
        console.print(
            f"{item.key_id}  {item.client}  {state}  scopes={','.join(item.scopes)}  "
            f"destinations={where}  expires={expiry}"
        )
    if not records:
        console.print("no API keys in the store (keys in signalmesh.toml [[clients]] are not listed)")
    return 0


def new_record(args: argparse.Namespace, digest: str, config: Config, now: float) -> ApiKeyRecord:
    scopes = tuple(scope.strip() for scope in args.scopes.split(",") if scope.strip())
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ConfigError(f"--scopes: unknown scope(s) {unknown}; known: {list(SCOPES)}")
    destinations = None
    if args.destinations:
        destinations = tuple(name.strip() for name in args.destinations.split(",") if name.strip())
        missing = sorted(set(destinations) - set(config.destinations))
        if missing:
            raise ConfigError(
                f"--destinations: {missing} not configured; known: {sorted(config.destinations)}"
            )
    expires_at = now + parse_duration(args.expires, "--expires") if args.expires else None
    return ApiKeyRecord(
        key_id=key_id_of(digest),
        key_sha256=digest,
        client=args.client,
        scopes=scopes,
        destinations=destinations,
        created_at=now,
        expires_at=expires_at,
    )


async def _add(config: Config, record: ApiKeyRecord) -> None:
    from signalmesh.store import open_store

    store = open_store(config)
    try:
        await store.add_api_key(record)
    finally:
        await store.close()


async def _revoke(config: Config, key_id: str) -> bool:
    from signalmesh.store import open_store

    store = open_store(config)
    try:
        return await store.revoke_api_key(key_id, time.time())
    finally:
        await store.close()


async def _list(config: Config) -> list[ApiKeyRecord]:
    from signalmesh.store import open_store

    store = open_store(config)
    try:
        return await store.api_keys()
    finally:
        await store.close()
