"""Fair-sharing settings: per-client limits in [[clients]], their defaults and the connection
limits in [gateway]; each wrong value names its key."""

from __future__ import annotations

import pytest
from signalmesh.config import ConfigError, config_from_mapping
from signalmesh.gateway.client_limits import ClientQuota
from signalmesh.gateway.server import client_limits
from signalmesh.grpc_runtime import connection_options

DIGEST = "a" * 64


def load(data: dict):
    return config_from_mapping(data, environ={}, source=None)


def test_a_clients_own_limits_win_and_the_gateway_defaults_fill_the_rest():
    config = load(
        {
            "gateway": {"client_events_per_second": 50, "client_max_concurrent_streams": 4},
            "clients": [
                {"name": "bulk", "key_sha256": DIGEST, "events_per_second": 500, "burst": 1000},
                {"name": "web", "key_sha256": "b" * 64, "max_concurrent_streams": 0},
            ],
        }
    )
    limits = client_limits(config)
    assert limits.quota("bulk") == ClientQuota(events_per_second=500, burst=1000, max_concurrent_streams=4)
    assert limits.quota("web") == ClientQuota(events_per_second=50, max_concurrent_streams=0)
    assert limits.quota("local") == ClientQuota(events_per_second=50, max_concurrent_streams=4)


def test_by_default_only_streams_are_capped():
    gateway = load({}).gateway
    assert gateway.client_events_per_second == 0 and gateway.client_max_concurrent_streams == 64


def test_connection_limits_become_grpc_server_options():
    config = load(
        {
            "gateway": {
                "max_streams_per_connection": 8,
                "keepalive_time": "30s",
                "keepalive_timeout": "5s",
                "min_client_ping_interval": "1m",
            }
        }
    )
    gateway = config.gateway
    options = dict(
        connection_options(
            max_streams_per_connection=gateway.max_streams_per_connection,
            keepalive_time_seconds=gateway.keepalive_time_seconds,
            keepalive_timeout_seconds=gateway.keepalive_timeout_seconds,
            min_client_ping_interval_seconds=gateway.min_client_ping_interval_seconds,
        )
    )
    assert options["grpc.max_concurrent_streams"] == 8
    assert options["grpc.keepalive_time_ms"] == 30_000
    assert options["grpc.keepalive_timeout_ms"] == 5_000
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == 60_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gateway": {"client_events_per_second": -1}}, "client_events_per_second: must be a number ≥ 0"),
        ({"gateway": {"client_burst": "lots"}}, "gateway.client_burst: must be a number ≥ 0"),
        ({"gateway": {"max_streams_per_connection": -1}}, "max_streams_per_connection: must be"),
        ({"gateway": {"keepalive_time": "soon"}}, "gateway.keepalive_time: 'soon' is not a duration"),
        (
            {"clients": [{"name": "x", "key_sha256": DIGEST, "events_per_second": float("nan")}]},
            "clients[0].events_per_second: must be a number ≥ 0",
        ),
        (
            {"clients": [{"name": "x", "key_sha256": DIGEST, "max_concurrent_streams": 1.5}]},
            "clients[0].max_concurrent_streams: must be an integer ≥ 0",
        ),
        (
            {"clients": [{"name": "x", "key_sha256": DIGEST, "rate": 5}]},
            "clients[0]: unknown key(s) ['rate']",
        ),
    ],
)
def test_a_wrong_limit_names_its_key_and_the_rule(data, message):
    with pytest.raises(ConfigError) as error:
        load(data)
    assert message in str(error.value)


def test_no_stream_ceiling_per_connection_unless_one_is_set():
    assert "grpc.max_concurrent_streams" not in dict(connection_options())
    assert dict(connection_options(max_streams_per_connection=8))["grpc.max_concurrent_streams"] == 8
