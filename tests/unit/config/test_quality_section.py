"""``[quality]``: the practice's lines by default (warn below 6.0, stale after 1 h), any
duration unit, and errors that name the key."""

from __future__ import annotations

import pytest
from signalmesh.config import Config, ConfigError, QualityConfig, config_from_mapping


def load(data: dict) -> Config:
    return config_from_mapping(data, environ={}, source=None)


def test_defaults_are_the_practices_lines() -> None:
    assert load({}).quality == QualityConfig(warn_below=6.0, stale_after_seconds=3600.0)


def test_both_lines_can_be_moved() -> None:
    quality = load({"quality": {"warn_below": 7, "stale_after": "15m"}}).quality
    assert (quality.warn_below, quality.stale_after_seconds) == (7.0, 900.0)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"warn_below": 11}, "quality.warn_below"),
        ({"warn_below": -1}, "quality.warn_below"),
        ({"warn_below": "6"}, "quality.warn_below"),
        ({"warn_below": True}, "quality.warn_below"),
        ({"stale_after": "0s"}, "quality.stale_after"),
        ({"stale_after": "soon"}, "quality.stale_after"),
        ({"warn_under": 6}, "warn_under"),
    ],
)
def test_a_bad_value_names_its_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load({"quality": table})
