"""Loader for ``[privacy]``: what the gateway does with personal data found in a free-form
field (``free_text_pii``; see ``gateway/free_text_pii.py`` for the detection)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import PrivacyConfig
from signalmesh.config.values import ConfigError, reject_unknown

FREE_TEXT_PII_MODES = ("strip", "reject")


def load_privacy(data: Mapping[str, Any]) -> PrivacyConfig:
    mode = data.get("free_text_pii", "strip")
    if mode not in FREE_TEXT_PII_MODES:
        raise ConfigError(
            f'privacy.free_text_pii: "strip" (remove a page URL parameter holding an email or phone '
            f'number, refuse the rest) or "reject" (refuse every occurrence), got {mode!r}'
        )
    reject_unknown(data, {"free_text_pii"}, "privacy")
    return PrivacyConfig(free_text_pii=mode)
