"""Loader for ``[quality]``: the lines an accepted event is warned against — its estimated match
quality (``warn_below``) and its delay since ``event_time`` (``stale_after``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import QualityConfig
from signalmesh.config.values import ConfigError, duration, reject_unknown
from signalmesh.monitoring.quality_bands import WARN_BELOW

_QUALITY_KEYS = {"warn_below", "stale_after"}


def load_quality(data: Mapping[str, Any]) -> QualityConfig:
    warn_below = data.get("warn_below", WARN_BELOW)
    if isinstance(warn_below, bool) or not isinstance(warn_below, int | float) or not 0 <= warn_below <= 10:
        raise ConfigError(
            f"quality.warn_below: a match-quality score from 0 to 10 (the practice's line is 6.0), "
            f"got {warn_below!r}"
        )
    stale_after = duration(data, "stale_after", "1h", "quality")
    if stale_after <= 0:
        raise ConfigError('quality.stale_after: must be a positive duration, e.g. "1h"')
    reject_unknown(data, _QUALITY_KEYS, "quality")
    return QualityConfig(warn_below=float(warn_below), stale_after_seconds=stale_after)
