"""Finding 6 of issue 11: personal data in free-form fields never reaches the outbox raw.

Through a real gateway and sandbox, with the SQLite outbox file read back as bytes.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2
from signalmesh.v1 import gateway_pb2

from tests.integration.mesh.conftest import SEND_ALL_PIXEL, make_event

EMAIL = "leaky.customer@example.org"
PHONE = "+14155552671"


def _store_bytes(mesh) -> bytes:
    """The SQLite database and its write-ahead log, as stored on disk."""
    path = mesh.config.sqlite_path
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )


async def test_an_email_in_the_page_url_query_is_stripped_before_the_outbox(mesh):
    url = f"https://shop.example.com/thanks?utm_source=mail&email={EMAIL}&phone={PHONE}"
    response = await mesh.send(make_event("pii-url-1", event_source_url=url))
    assert response.accepted == 1
    warnings = [item for item in response.results[0].warnings if item.reason == "free_text.personal_data"]
    assert {item.field for item in warnings} == {"event_source_url"} and len(warnings) == 2
    assert EMAIL not in repr(warnings)
    await mesh.wait_delivered("pii-url-1", "meta_send_all")
    [recorded] = (await mesh.sandbox.events("meta", SEND_ALL_PIXEL)).events
    assert recorded["event_source_url"] == "https://shop.example.com/thanks?utm_source=mail"
    assert EMAIL.encode() not in _store_bytes(mesh)
    assert b"4155552671" not in _store_bytes(mesh)


async def test_an_email_in_a_property_or_order_id_refuses_the_event_naming_the_field(mesh):
    properties = struct_pb2.Struct()
    properties.update({"note": f"contact {EMAIL}"})
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await mesh.stub.SendEvent(
            gateway_pb2.SendEventRequest(
                event=make_event("pii-prop-1", custom_properties=properties, order_id=EMAIL)
            ),
            metadata=mesh.metadata,
            timeout=10,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert EMAIL not in (error.value.details() or "")
    response = await mesh.send(make_event("pii-prop-2", custom_properties=properties, order_id=EMAIL))
    assert response.rejected == 1
    violations = {item.field: item for item in response.results[0].violations}
    assert set(violations) == {"custom_properties.note", "order_id"}
    assert all(item.reason == "free_text.personal_data" for item in violations.values())
    assert EMAIL not in repr(response)
    assert EMAIL.encode() not in _store_bytes(mesh)


@pytest.mark.parametrize("mesh_overrides", [{"privacy": {"free_text_pii": "reject"}}])
async def test_reject_mode_refuses_the_page_url_too(mesh):
    response = await mesh.send(
        make_event("pii-url-2", event_source_url=f"https://shop.example.com/?e={EMAIL}")
    )
    assert response.rejected == 1
    [violation] = response.results[0].violations
    assert violation.field == "event_source_url" and EMAIL not in violation.description
    assert EMAIL.encode() not in _store_bytes(mesh)
