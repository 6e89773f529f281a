"""Finding 7: policy trusted any caller when [policy] token was unset, even bound on 0.0.0.0.
Beyond loopback it now refuses to start without a token or mTLS; loopback (the development
default) still starts without one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from signalmesh.config import ConfigError, config_from_mapping
from signalmesh.policy.server import serve_policy


def write_config(tmp_path: Path, policy: dict[str, str]) -> Path:
    lines = [f'state_dir = "{tmp_path / "state"}"', "[plugins]", 'allow = ["meta"]', "[policy]"]
    lines += [f'{key} = "{value}"' for key, value in policy.items()]
    path = tmp_path / "signalmesh.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_policy_process_refuses_to_listen_on_all_interfaces_without_authentication(tmp_path):
    config = write_config(tmp_path, {"listen": "0.0.0.0:0"})
    finished = subprocess.run(
        [sys.executable, "-m", "signalmesh.policy", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "policy would listen on 0.0.0.0:0, beyond loopback, without authentication" in finished.stderr
    assert "set [policy] token" in finished.stderr
    assert not (tmp_path / "state").exists()  # refused before the store was opened


async def serving(settings: dict[str, object], listen: str) -> str:
    """Start policy with ``settings`` on ``listen``, check it answers health, stop it."""
    config = config_from_mapping({"plugins": {"allow": ["meta"]}, **settings}, {}, source=None)
    policy = await serve_policy(config, listen=listen)
    try:
        async with grpc.aio.insecure_channel(policy.address) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    finally:
        await policy.stop(grace=0)


async def test_with_a_token_policy_starts_on_all_interfaces(tmp_path):
    settings = {"state_dir": str(tmp_path / "state"), "policy": {"token": "a-shared-secret"}}
    assert await serving(settings, "0.0.0.0:0") == "SERVING"


async def test_on_loopback_policy_starts_without_a_token(tmp_path):
    assert await serving({"state_dir": str(tmp_path / "state")}, "127.0.0.1:0") == "SERVING"


async def test_the_start_function_refuses_too_whatever_the_listen_override(tmp_path):
    config = config_from_mapping({"state_dir": str(tmp_path / "state")}, {}, source=None)
    with pytest.raises(ConfigError, match=r"\[::\]:0, beyond loopback"):
        await serve_policy(config, listen="[::]:0")
