"""Checking an event against its tracking-plan rule (the business's own definition of a valid
conversion, so "Purchase fired on a failed payment" is refused at the edge). Pure.

The rule's type and the path check belong to config, which loads them from signalmesh.toml;
they are re-exported here for the gateway's modules."""

from __future__ import annotations

from google.protobuf.message import Message

from signalmesh.config.model import TrackingRule
from signalmesh.config.tracking_plan import unknown_path
from signalmesh.v1 import event_pb2

__all__ = ["TrackingRule", "check", "is_present", "unknown_path"]


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
