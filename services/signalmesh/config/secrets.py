"""Secret references in signalmesh.toml: ``env:NAME`` and ``file:PATH`` → the secret itself.

The only place in the core that reads environment variables (OpenTelemetry reads its own
``OTEL_*``). A destination keeps its references, so a rotated token can be read again: the
dispatcher compares :func:`secret_versions` (a ``stat`` per file, no read) before each batch
and re-reads the secrets when one changed, so a rotated token is used from the next request
on, without waiting for the platform to refuse the old one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from signalmesh.config.values import ConfigError
from signalmesh.connector import Destination

REFERENCE_PREFIXES = ("env:", "file:")


def is_reference(value: str) -> bool:
    return value.startswith(REFERENCE_PREFIXES)


def resolve_secret(value: str, key: str, environ: Mapping[str, str]) -> str:
    """``env:NAME`` and ``file:PATH`` references → the secret; anything else is taken literally."""
    if value.startswith("env:"):
        name = value[4:]
        if name not in environ:
            raise ConfigError(f"{key}: environment variable {name} is not set (referenced as {value!r})")
        return environ[name]
    if value.startswith("file:"):
        path = Path(value[5:])
        try:
            return path.read_text().strip()
        except OSError as error:
            raise ConfigError(f"{key}: cannot read secret file {path}: {error.strerror}") from None
    return value


def secret_versions(destination: Destination, environ: Mapping[str, str] | None = None) -> tuple[object, ...]:
    """What changes when one of ``destination``'s secrets is rotated: each ``file:``'s inode,
    size and modification time (a rewrite or an atomic replace), each ``env:``'s value."""
    environment = os.environ if environ is None else environ
    versions: list[object] = []
    for setting in sorted(destination.secret_references):
        reference = destination.secret_references[setting]
        if reference.startswith("file:"):
            try:
                stat = Path(reference[5:]).stat()
            except OSError:
                versions.append((setting, None))
                continue
            versions.append((setting, stat.st_ino, stat.st_size, stat.st_mtime_ns))
        elif reference.startswith("env:"):
            versions.append((setting, environment.get(reference[4:])))
    return tuple(versions)


def refresh_secrets(destination: Destination, environ: Mapping[str, str] | None = None) -> Destination:
    """``destination`` with its ``env:``/``file:`` settings read again (a rotated token).
    A reference that cannot be read now keeps its previous value."""
    environment = os.environ if environ is None else environ
    settings = dict(destination.settings)
    for setting, reference in destination.secret_references.items():
        try:
            settings[setting] = resolve_secret(
                reference, f"destinations.{destination.name}.{setting}", environment
            )
        except ConfigError:
            continue
    return replace(destination, settings=settings)
