"""Reading one typed value out of a TOML table, with an error that names the key and the fix.

Every section loader is built from these, so every message has the same shape:
``section.key: what is wrong; what to write instead``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(ValueError):
    """A setting is wrong; the message names the key, the rule and the fix."""


def parse_duration(value: Any, key: str) -> float:
    """``"48h"``, ``"250ms"``, ``"7d"`` or a number of seconds → seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and (match := _DURATION.match(value.strip())):
        return float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
    raise ConfigError(f'{key}: {value!r} is not a duration; write e.g. "48h", "250ms" or a number of seconds')


def duration(data: Mapping[str, Any], key: str, default: Any, section: str) -> float:
    """``section.key`` as seconds (``default`` as written in TOML, e.g. ``"30s"``)."""
    return parse_duration(data.get(key, default), f"{section}.{key}")


def section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: must be a table ([{name}])")
    return value


def typed(data: Mapping[str, Any], key: str, kind: type, default: Any, section: str) -> Any:
    value = data.get(key, default)
    if not isinstance(value, kind):
        where = f"{section}.{key}" if section else key
        raise ConfigError(f"{where}: must be a {kind.__name__}, got {value!r}")
    return value


def positive_int(data: Mapping[str, Any], key: str, default: int, section: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{section}.{key}: must be a positive integer, got {value!r}")
    return value


def non_negative_int(data: Mapping[str, Any], key: str, default: int, section: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{section}.{key}: must be an integer ≥ 0 (0 means no limit), got {value!r}")
    return value


def non_negative_number(data: Mapping[str, Any], key: str, default: float, section: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise ConfigError(f"{section}.{key}: must be a number ≥ 0 (0 means no limit), got {value!r}")
    return float(value)


def reject_unknown(data: Mapping[str, Any], known: set[str], section: str) -> None:
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{section}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
