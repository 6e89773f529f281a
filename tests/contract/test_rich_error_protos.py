"""protos/google/rpc/ (shipped for non-Python clients to decode the rich error details) describes
exactly the messages the Python package the mesh uses does: compiled here, compared descriptor
by descriptor with googleapis-common-protos' own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_tools import protoc

PROTOS = Path(__file__).resolve().parents[2] / "protos"
SHIPPED = {
    "google/rpc/status.proto": status_pb2,
    "google/rpc/error_details.proto": error_details_pb2,
    "google/rpc/code.proto": code_pb2,
}


def compiled(tmp_path: Path) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    out = tmp_path / "rich-errors.pb"
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = ["grpc_tools.protoc", f"-I{PROTOS}", f"-I{well_known}", f"--descriptor_set_out={out}", *SHIPPED]
    assert protoc.main(args) == 0, "protos/google/rpc does not compile"
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return {file.name: file for file in files.file}


def without_json_names(file: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """protoc's descriptor sets spell out each field's default json_name; generated code omits
    it. Everything else (fields, numbers, types, options) must be equal."""
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(file)
    pending = list(copy.message_type)
    while pending:
        message = pending.pop()
        for field in message.field:
            field.ClearField("json_name")
        pending.extend(message.nested_type)
    return copy


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_shipped_file_matches_the_package_the_mesh_uses(tmp_path: Path, name: str) -> None:
    used = descriptor_pb2.FileDescriptorProto.FromString(SHIPPED[name].DESCRIPTOR.serialized_pb)
    shipped = compiled(tmp_path)[name]
    differs = f"protos/{name} differs from googleapis-common-protos': copy it again"
    assert without_json_names(shipped) == without_json_names(used), differs


def test_the_details_the_mesh_sends_are_in_the_shipped_files(tmp_path: Path) -> None:
    """BadRequest (field violations), RetryInfo (backpressure) and Status itself."""
    messages = {
        f"{file.package}.{message.name}"
        for file in compiled(tmp_path).values()
        for message in file.message_type
    }
    assert {
        "google.rpc.Status",
        "google.rpc.BadRequest",
        "google.rpc.RetryInfo",
        "google.rpc.ErrorInfo",
    } <= messages


def test_only_the_google_rpc_files_are_shipped() -> None:
    """Every file under protos/google is listed above (so every one is checked)."""
    assert {str(path.relative_to(PROTOS)) for path in (PROTOS / "google").rglob("*.proto")} == set(SHIPPED)
