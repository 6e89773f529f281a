"""Secret references in signalmesh.toml: ``env:NAME`` and ``file:PATH`` → the secret itself.

The only place in the core that reads environment variables (OpenTelemetry reads its own
``OTEL_*``). A destination keeps its references, so a rotated token can be read again.
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
