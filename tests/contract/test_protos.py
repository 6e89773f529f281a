"""The wire contract: generated code is fresh, and field numbers are never reused."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from google.protobuf import descriptor_pb2
from signalmesh.v1 import event_pb2, gateway_pb2, policy_pb2

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "services" / "signalmesh" / "v1"


def load_generator():
    spec = importlib.util.spec_from_file_location("protos_generate", ROOT / "protos" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_generated_code_matches_a_fresh_make_protos(tmp_path):
    written = load_generator().generate(tmp_path)
    fresh = {path.name: path.read_bytes() for path in written}
    committed = {path.name: path.read_bytes() for path in GENERATED.glob("*.py*")}
    stale = sorted(name for name in fresh if committed.get(name) != fresh[name])
    assert not stale, f"run `make protos` and commit: stale generated files {stale}"
    assert set(committed) == set(fresh), "generated directory holds files protos/generate.py does not produce"


def _messages():
    for module in (event_pb2, gateway_pb2, policy_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            yield from _walk(message)


def _walk(message):
    yield message
    for nested in message.nested_types:
        yield from _walk(nested)


def test_field_numbers_are_never_renumbered_or_reused():
    lock = json.loads((ROOT / "protos" / "field_numbers.lock.json").read_text())
    for message in _messages():
        history = lock.get(message.full_name)
        assert history is not None, f"{message.full_name} is not in the field lock: run `make protos`"
        proto = descriptor_pb2.DescriptorProto()
        message.CopyToProto(proto)
        reserved_numbers = {n for r in proto.reserved_range for n in range(r.start, r.end)}
        current = {field.name: field.number for field in message.fields}
        for name, number in history.items():
            if name in current:
                assert current[name] == number, (
                    f"{message.full_name}.{name} was renumbered {number} → {current[name]}"
                )
            else:
                assert number in reserved_numbers, (
                    f"{message.full_name}.{name} was removed: add `reserved {number};`"
                )
                assert name in proto.reserved_name, (
                    f'{message.full_name}.{name} was removed: add `reserved "{name}";`'
                )
        for name, number in current.items():
            previous_owners = {old for old, old_number in history.items() if old_number == number}
            assert previous_owners <= {name}, (
                f"{message.full_name}.{name} reuses number {number} of {previous_owners}"
            )
        unrecorded = set(current) - set(history)
        assert not unrecorded, (
            f"{message.full_name} fields {unrecorded} are not in the field lock: run `make protos`"
        )
