"""The ``[tracking_plan.EVENT]`` tables → one TrackingRule per event name, every path checked
against the ConversionEvent message so a typo fails at start-up, not on the first event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalmesh.config.model import TrackingRule
from signalmesh.config.values import ConfigError, reject_unknown
from signalmesh.v1 import event_pb2


def unknown_path(path: str) -> str | None:
    """Why ``path`` does not name a ConversionEvent field, or None when it does."""
    descriptor = event_pb2.ConversionEvent.DESCRIPTOR
    parts = path.split(".")
    for position, part in enumerate(parts):
        if descriptor is None:
            return f"{'.'.join(parts[:position])} has no sub-fields"
        if descriptor.full_name == "google.protobuf.Struct":
            return None  # custom_properties.<any key>
        field_descriptor = descriptor.fields_by_name.get(part)
        if field_descriptor is None:
            known = ", ".join(sorted(descriptor.fields_by_name))
            return f"{part!r} is not a field of {descriptor.name} (fields: {known})"
        descriptor = field_descriptor.message_type
    return None


def load_tracking_plan(raw: Mapping[str, Any]) -> dict[str, TrackingRule]:
    return {event_name: _rule(event_name, table) for event_name, table in raw.items()}


def _rule(event_name: str, table: Any) -> TrackingRule:
    key = f"tracking_plan.{event_name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: must be a table with required, required_one_of and/or custom_properties")
    reject_unknown(table, {"required", "required_one_of", "custom_properties"}, key)
    paths: dict[str, tuple[str, ...]] = {}
    for list_key in ("required", "required_one_of"):
        values = table.get(list_key, [])
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ConfigError(
                f'{key}.{list_key}: must be a list of ConversionEvent field paths, e.g. ["order_id"]'
            )
        for value in values:
            if problem := unknown_path(value):
                raise ConfigError(f"{key}.{list_key}: {value!r}: {problem}")
        paths[list_key] = tuple(values)
    properties = table.get("custom_properties", {})
    if not isinstance(properties, dict) or not all(isinstance(value, str) for value in properties.values()):
        raise ConfigError(
            f"{key}.custom_properties: must be a table of required string values, "
            'e.g. payment_status = "succeeded"'
        )
    return TrackingRule(event_name, paths["required"], paths["required_one_of"], dict(properties))
