"""One loader per table: each reads its own keys (durations in any unit), refuses the keys it
does not know, and names the key in every error."""

from __future__ import annotations

import pytest
from signalmesh.config import ApiClient, Config, ConfigError, config_from_mapping
from signalmesh.config.model import cpu_limit_cores, default_workers


def load(data: dict) -> Config:
    return config_from_mapping(data, environ={"POLICY_TOKEN": "shared"}, source=None)


def test_durations_in_any_unit_become_the_fields_units():
    config = load(
        {
            "gateway": {"policy_timeout": "250ms", "micro_batch_linger": "5ms"},
            "dispatcher": {"linger": "1s", "lease": "2m", "retry_horizon": "2d", "breaker_cooldown": 7},
        }
    )
    assert config.gateway.policy_timeout_seconds == 0.25
    assert config.gateway.micro_batch_linger_ms == 5.0
    assert config.dispatcher.linger_ms == 1000.0
    assert config.dispatcher.lease_seconds == 120.0
    assert config.dispatcher.retry_horizon_seconds == 2 * 86400
    assert config.dispatcher.breaker_cooldown_seconds == 7.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dispatcher": {"lingr": "1s"}}, "dispatcher: unknown key(s) ['lingr']"),
        ({"store": {"bakend": "redis"}}, "store: unknown key(s) ['bakend']"),
        ({"policy": {"tokn": "x"}}, "policy: unknown key(s) ['tokn']"),
        ({"sandbox": {"token": "x"}}, "sandbox: unknown key(s) ['token']"),
        ({"plugins": {"deny": []}}, "plugins: unknown key(s) ['deny']"),
        ({"shop": {}}, "unknown top-level key(s) ['shop']"),
        ({"dispatcher": []}, "dispatcher: must be a table ([dispatcher])"),
    ],
)
def test_a_misspelt_key_is_refused_rather_than_silently_defaulted(data, message):
    with pytest.raises(ConfigError) as error:
        load(data)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gateway": {"max_batch_size": 0}}, "gateway.max_batch_size: must be a positive integer, got 0"),
        ({"dispatcher": {"concurrency": True}}, "dispatcher.concurrency: must be a positive integer"),
        ({"dispatcher": {"max_attempts": -1}}, "dispatcher.max_attempts: must be an integer ≥ 0"),
        ({"sandbox": {"tokens": [""]}}, "sandbox.tokens: must be a list of non-empty strings"),
        ({"plugins": {"allow": "meta"}}, "plugins.allow: must be a list of entry-point names"),
        ({"state_dir": 7}, "state_dir: must be a str, got 7"),
    ],
)
def test_a_wrong_value_names_its_key_and_the_rule(data, message):
    with pytest.raises(ConfigError) as error:
        load(data)
    assert str(error.value).startswith(message)


def test_the_first_error_reported_follows_the_order_of_the_sections():
    """Two broken tables: the gateway's error comes first, whatever order the file has them in."""
    with pytest.raises(ConfigError) as error:
        load({"dispatcher": {"lease": "soon"}, "gateway": {"listen": 1}})
    assert str(error.value).startswith("gateway.listen")


def test_the_policy_token_is_resolved_and_absent_means_no_token():
    assert load({"policy": {"token": "env:POLICY_TOKEN"}}).policy.token == "shared"
    assert load({}).policy.token is None


def test_the_redis_url_may_be_a_secret_reference_read_from_a_file(tmp_path):
    """A URL carrying Redis's password comes from a mounted Secret, like every other secret."""
    secret = tmp_path / "redis-url"
    secret.write_text("redis://:s3cret@redis:6379/0\n")
    assert load({"store": {"redis_url": f"file:{secret}"}}).store.redis_url == "redis://:s3cret@redis:6379/0"
    with pytest.raises(ConfigError, match=r"^store.redis_url: cannot read secret file"):
        load({"store": {"redis_url": f"file:{tmp_path / 'missing'}"}})
    assert load({"store": {"redis_url": "redis://redis:6379/1"}}).store.redis_url == "redis://redis:6379/1"


def test_plugins_allow_is_a_tuple_and_absent_means_every_plugin():
    assert load({"plugins": {"allow": ["meta", "ga4"]}}).plugins_allow == ("meta", "ga4")
    assert load({}).plugins_allow is None


def test_clients_get_every_scope_unless_they_name_theirs():
    digest = "ab" * 32
    config = load(
        {
            "clients": [
                {"name": "ops", "key_sha256": digest},
                {"name": "shop", "key_sha256": digest, "scopes": ["events:write"]},
            ]
        }
    )
    assert config.clients == (
        ApiClient(name="ops", key_sha256=digest),
        ApiClient(name="shop", key_sha256=digest, scopes=("events:write",)),
    )
    with pytest.raises(ConfigError) as error:
        load({"clients": [{"name": "shop", "key_sha256": digest, "scopes": ["root"]}]})
    assert str(error.value).startswith("clients[0].scopes: unknown scope(s) ['root']")


def test_gateway_workers_default_to_the_cores_this_process_may_use_and_must_be_positive():
    import os

    assert load({}).gateway.workers == default_workers()
    assert default_workers() <= len(os.sched_getaffinity(0))
    assert load({"gateway": {"workers": 1}}).gateway.workers == 1
    with pytest.raises(ConfigError, match=r"gateway\.workers"):
        load({"gateway": {"workers": 0}})


@pytest.mark.parametrize(
    ("cpu_max", "cores"),
    [("max 100000\n", None), ("100000 100000\n", 1), ("150000 100000\n", 2), ("5000 100000\n", 1)],
)
def test_a_containers_cpu_limit_is_read_from_cgroup_cpu_max(tmp_path, cpu_max, cores):
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    assert cpu_limit_cores(path) == cores


def test_a_cpu_limit_caps_the_default_workers_and_a_missing_file_does_not(tmp_path):
    import os

    one_core = tmp_path / "cpu.max"
    one_core.write_text("100000 100000\n")
    assert default_workers(one_core) == 1
    assert default_workers(tmp_path / "absent") == len(os.sched_getaffinity(0))
