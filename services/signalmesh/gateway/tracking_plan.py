"""Tracking-plan rules per event name, from signalmesh.toml: the business's own definition of a
valid conversion, so "Purchase fired on a failed payment" is refused at the edge. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from google.protobuf.message import Message

from signalmesh.v1 import event_pb2


@dataclass(frozen=True, slots=True)
class TrackingRule:
    event_name: str
    # Field paths in ConversionEvent that must be present ("order_id", "user_data.emails").
    required: tuple[str, ...] = ()
    # At least one of these must be present.
    required_one_of: tuple[str, ...] = ()
    # custom_properties keys that must hold exactly this value (payment_status = "succeeded").
    custom_properties: Mapping[str, str] = field(default_factory=dict)


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


def is_present(message: Message, path: str) -> bool:
    """Whether ``path`` holds a value: a non-empty scalar or list, a set message, a Struct key."""
    head, _, rest = path.partition(".")
    if message.DESCRIPTOR.full_name == "google.protobuf.Struct":
        return head in message.fields  # type: ignore[attr-defined]
    field_descriptor = message.DESCRIPTOR.fields_by_name[head]
    if field_descriptor.is_repeated:
        return len(getattr(message, head)) > 0
    if field_descriptor.message_type is not None:
        if not message.HasField(head):
            return False
        return is_present(getattr(message, head), rest) if rest else True
    return bool(getattr(message, head))


def check(event: event_pb2.ConversionEvent, rule: TrackingRule) -> list[tuple[str, str, str]]:
    """(field, rule code, description) for every way ``event`` breaks its tracking-plan rule."""
    problems = []
    name = rule.event_name
    for path in rule.required:
        if not is_present(event, path):
            problems.append((path, "tracking_plan.required", f"required for {name} by the tracking plan"))
    if rule.required_one_of and not any(is_present(event, path) for path in rule.required_one_of):
        paths = " or ".join(rule.required_one_of)
        problems.append(
            (rule.required_one_of[0], "tracking_plan.one_of", f"{name} needs {paths} (tracking plan)")
        )
    for key, expected in rule.custom_properties.items():
        path = f"custom_properties.{key}"
        actual = event.custom_properties.fields.get(key)
        if actual is None:
            problems.append(
                (path, "tracking_plan.property", f"required for {name}: must be {expected!r} (tracking plan)")
            )
            continue
        shown = actual.string_value if actual.WhichOneof("kind") == "string_value" else _plain(actual)
        if shown != expected:
            problems.append(
                (
                    path,
                    "tracking_plan.property",
                    f"is {shown!r} but {name} requires {expected!r} (tracking plan): do not send it",
                )
            )
    return problems


def _plain(value: object) -> str:
    from google.protobuf import json_format

    return json_format.MessageToJson(value, indent=None)  # type: ignore[arg-type]
