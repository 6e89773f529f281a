"""The mesh over TLS for real: certificates from `signalmesh certs`, a TLS gateway requiring
client certificates, mTLS from gateway to policy; a missing client certificate or one signed by
another CA is refused at the handshake, before any call is served."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from signalmesh.certs import CertificateFiles, write_development_certificates
from signalmesh.cli.client import GatewayClient
from signalmesh.config import ClientTls, config_from_mapping
from signalmesh.gateway.server import GatewayRuntime, serve_gateway
from signalmesh.policy.server import PolicyRuntime, serve_policy
from signalmesh.tls import aio_channel
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc, policy_pb2, policy_pb2_grpc

from tests.integration.mesh.conftest import make_event


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return write_development_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def other_certs(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    """Another CA's certificates: valid-looking, but not signed by the mesh's CA."""
    return write_development_certificates(tmp_path_factory.mktemp("other-certs"))


def tls_settings(state_dir: Path, certs: CertificateFiles) -> dict[str, Any]:
    return {
        "state_dir": str(state_dir),
        "plugins": {"allow": ["meta"]},
        "gateway": {
            "policy_timeout": "2s",
            "tls_cert": str(certs.server_cert),
            "tls_key": str(certs.server_key),
            "tls_client_ca": str(certs.ca_cert),
            "policy_tls_ca": str(certs.ca_cert),
            "policy_tls_cert": str(certs.client_cert),
            "policy_tls_key": str(certs.client_key),
        },
        "policy": {
            # send_all: every valid event is SENT, so a decision other than SEND means a claim.
            "default_strategy": "send_all",
            "tls_cert": str(certs.server_cert),
            "tls_key": str(certs.server_key),
            "tls_client_ca": str(certs.ca_cert),
        },
    }


@pytest.fixture
async def tls_mesh(
    tmp_path: Path, certs: CertificateFiles
) -> AsyncIterator[tuple[PolicyRuntime, GatewayRuntime]]:
    config = config_from_mapping(tls_settings(tmp_path / "state", certs), {}, source=None)
    policy = await serve_policy(config, listen="127.0.0.1:0")
    gateway = await serve_gateway(config, listen="127.0.0.1:0", policy_address=policy.address, dispatch=False)
    try:
        yield policy, gateway
    finally:
        await gateway.stop(grace=1)
        await policy.stop(grace=1)


def client_tls(certs: CertificateFiles, *, with_certificate: bool = True) -> ClientTls:
    if not with_certificate:
        return ClientTls(ca=str(certs.ca_cert))
    return ClientTls(ca=str(certs.ca_cert), cert=str(certs.client_cert), key=str(certs.client_key))


def bearer(gateway: GatewayRuntime) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {gateway.local_key}"),)


async def test_an_event_is_accepted_over_tls_and_decided_by_policy_over_mtls(tls_mesh, certs) -> None:
    _, gateway = tls_mesh
    async with aio_channel(gateway.address, client_tls(certs)) as channel:
        response = await gateway_pb2_grpc.GatewayStub(channel).SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event("tls-1")]), metadata=bearer(gateway), timeout=10
        )
    assert response.accepted == 1
    # The decision came from policy over mTLS (the gateway has no other way to decide).
    assert response.results[0].decisions[0].decision == policy_pb2.DECISION_SEND


async def test_the_cli_client_reaches_the_gateway_with_the_ca_and_its_certificate(tls_mesh, certs) -> None:
    _, gateway = tls_mesh
    client = GatewayClient(
        gateway.address, gateway.local_key or "", timeout_seconds=10, tls=client_tls(certs)
    )
    try:
        # The synchronous client runs in a thread: the gateway serves on this event loop.
        response = await asyncio.to_thread(client.send_event, make_event("tls-cli-1"))
    finally:
        client.close()
    assert response.result.decisions[0].decision == policy_pb2.DECISION_SEND


async def refused(address: str, tls: ClientTls | None) -> grpc.aio.AioRpcError:
    """The error a Decide call gets from ``address`` when dialled with ``tls``."""
    claim = policy_pb2.DecisionInput(
        event_id="intruder-1", event_name="Purchase", destination="meta", connector="meta"
    )
    async with aio_channel(address, tls) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await policy_pb2_grpc.PolicyStub(channel).Decide(
                policy_pb2.DecideRequest(items=[claim]), timeout=3
            )
    return error.value


@pytest.mark.parametrize(
    "dial",
    ["no client certificate", "another CA's certificate", "plaintext"],
)
async def test_policy_refuses_a_caller_without_a_certificate_from_the_mesh_ca(
    tls_mesh, certs, other_certs, dial
) -> None:
    policy, gateway = tls_mesh
    tls = {
        "no client certificate": client_tls(certs, with_certificate=False),
        # Trusts the right server CA, but presents a certificate from another CA.
        "another CA's certificate": ClientTls(
            ca=str(certs.ca_cert), cert=str(other_certs.client_cert), key=str(other_certs.client_key)
        ),
        "plaintext": None,
    }[dial]
    error = await refused(policy.address, tls)
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    # Nothing was claimed: the real event with that id is still sent.
    async with aio_channel(gateway.address, client_tls(certs)) as channel:
        response = await gateway_pb2_grpc.GatewayStub(channel).SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event("intruder-1", destinations=["meta"])]),
            metadata=bearer(gateway),
            timeout=10,
        )
    assert response.results[0].decisions[0].decision == policy_pb2.DECISION_SEND


async def test_the_gateway_refuses_a_client_without_a_certificate_when_it_requires_one(
    tls_mesh, certs
) -> None:
    _, gateway = tls_mesh
    async with aio_channel(gateway.address, client_tls(certs, with_certificate=False)) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await gateway_pb2_grpc.GatewayStub(channel).SendEvent(
                gateway_pb2.SendEventRequest(event=make_event("tls-2")), metadata=bearer(gateway), timeout=3
            )
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_gateway_whose_policy_certificate_is_from_another_ca_cannot_decide(
    tmp_path, certs, other_certs
) -> None:
    """The gateway's side is checked too: it refuses a policy server its CA did not sign, and
    answers UNAVAILABLE (it accepts nothing it cannot decide)."""
    settings = tls_settings(tmp_path / "state", certs)
    settings["policy"].update(tls_cert=str(other_certs.server_cert), tls_key=str(other_certs.server_key))
    settings["policy"]["tls_client_ca"] = str(certs.ca_cert)
    settings["gateway"]["policy_timeout"] = "1s"
    config = config_from_mapping(settings, {}, source=None)
    policy = await serve_policy(config, listen="127.0.0.1:0")
    gateway = await serve_gateway(config, listen="127.0.0.1:0", policy_address=policy.address, dispatch=False)
    try:
        async with aio_channel(gateway.address, client_tls(certs)) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await gateway_pb2_grpc.GatewayStub(channel).SendEvent(
                    gateway_pb2.SendEventRequest(event=make_event("tls-3", event_time=stamp())),
                    metadata=bearer(gateway),
                    timeout=10,
                )
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "policy" in (error.value.details() or "")
    finally:
        await gateway.stop(grace=1)
        await policy.stop(grace=1)


def stamp() -> Any:
    from google.protobuf import timestamp_pb2

    value = timestamp_pb2.Timestamp()
    value.FromSeconds(int(time.time()) - 60)
    return value


_ = event_pb2  # the events above are event_pb2.ConversionEvent messages


async def test_a_missing_certificate_file_stops_the_service_naming_the_setting(tmp_path, certs) -> None:
    from signalmesh.config import ConfigError

    settings = tls_settings(tmp_path / "state", certs)
    settings["gateway"]["policy_tls_key"] = str(tmp_path / "absent-key.pem")
    config = config_from_mapping(settings, {}, source=None)
    with pytest.raises(ConfigError, match=r"gateway\.policy_tls_key: cannot read .*absent-key\.pem"):
        await serve_gateway(config, listen="127.0.0.1:0", policy_address="127.0.0.1:1", dispatch=False)
    assert not (tmp_path / "state").exists()  # stopped before the store was opened


async def test_the_signalmesh_command_dials_the_tls_gateway_with_ca_and_client_section(
    tls_mesh, certs, tmp_path
) -> None:
    """`signalmesh status --ca ca.pem`, its client certificate from ``[client]``."""
    import sys

    _, gateway = tls_mesh
    async with aio_channel(gateway.address, client_tls(certs)) as channel:
        await gateway_pb2_grpc.GatewayStub(channel).SendEvents(
            gateway_pb2.SendEventsRequest(events=[make_event("tls-status-1")]),
            metadata=bearer(gateway),
            timeout=10,
        )
    config = tmp_path / "client.toml"
    config.write_text(f'[client]\ntls_cert = "{certs.client_cert}"\ntls_key = "{certs.client_key}"\n')
    signalmesh = Path(sys.executable).with_name("signalmesh")
    command = [
        str(signalmesh),
        "status",
        "tls-status-1",
        "--config",
        str(config),
        "--gateway",
        gateway.address,
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--key",
        gateway.local_key or "",
        "--ca",
        str(certs.ca_cert),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert "meta" in out.decode()
    # Without the CA the server's certificate is not trusted: the command fails, naming UNAVAILABLE.
    process = await asyncio.create_subprocess_exec(
        *command,
        "--key",
        gateway.local_key or "",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1 and "UNAVAILABLE" in err.decode()
