"""Configuration: safe defaults with no file; precise errors naming the key, rule and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from signalmesh.config import ConfigError, check_destinations, load_config, parse_duration
from signalmesh.plugins import ConnectorInfo, ConnectorRegistry

from tests.support.fake_connector import FakeConnector


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "signalmesh.toml"
    path.write_text(text)
    return path


def test_no_file_gives_an_embedded_mesh_sending_to_the_local_sandbox():
    config = load_config(None, environ={})
    assert config.store.backend == "sqlite"
    assert config.policy.default_strategy == "strict"
    assert config.policy.dedup_window_seconds == 48 * 3600
    [destination] = config.destinations.values()
    assert destination.connector == "meta" and destination.settings["base_url"] == "http://127.0.0.1:7480"


def test_secret_references_are_resolved_from_the_environment(tmp_path):
    path = write(
        tmp_path, '[destinations.shop]\nconnector = "fake"\nurl = "env:SHOP_URL"\nstrategy = "send_all"\n'
    )
    config = load_config(path, environ={"SHOP_URL": "http://example.test/hook"})
    assert config.destinations["shop"].settings["url"] == "http://example.test/hook"
    assert config.strategy_for("shop") == "send_all"


def test_rollout_percent_defaults_to_every_event_and_takes_a_share(tmp_path):
    path = write(
        tmp_path,
        '[destinations.all]\nconnector = "fake"\n'
        '[destinations.tenth]\nconnector = "fake"\nrollout_percent = 10\n'
        '[destinations.half_a_percent]\nconnector = "fake"\nrollout_percent = 0.5\n'
        '[destinations.none]\nconnector = "fake"\nrollout_percent = 0\n',
    )
    destinations = load_config(path, environ={}).destinations
    assert {name: item.rollout_percent for name, item in destinations.items()} == {
        "all": 100.0,
        "tenth": 10.0,
        "half_a_percent": 0.5,
        "none": 0.0,
    }
    # It is the mesh's own key, never passed to the connector as a setting.
    assert "rollout_percent" not in destinations["tenth"].settings


@pytest.mark.parametrize("value", ["101", "-1", '"10%"', "true"])
def test_rollout_percent_outside_0_to_100_names_the_key_and_the_range(tmp_path, value):
    path = write(tmp_path, f'[destinations.x]\nconnector = "fake"\nrollout_percent = {value}\n')
    with pytest.raises(ConfigError, match=r"destinations\.x\.rollout_percent: .* from 0 to 100"):
        load_config(path, environ={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[policy]\ndefault_strategy = "yolo"\n', "policy.default_strategy: 'yolo' is not a strategy"),
        ('[policy]\ndedup_window = "two days"\n', "policy.dedup_window: 'two days' is not a duration"),
        (
            '[destinations.x]\nconnector = "fake"\nurl = "env:MISSING"\n',
            "destinations.x.url: environment variable MISSING is not set",
        ),
        ('[destinations.x]\nurl = "u"\n', "destinations.x.connector: required"),
        ("[gateway]\nlisten = 7400\n", "gateway.listen: must be a str"),
        ('[gateway]\nlistn = "x"\n', "gateway: unknown key(s) ['listn']"),
        ('[[clients]]\nname = "a"\nkey_sha256 = "abc"\n', "clients[0].key_sha256: must be the SHA-256 hex"),
        (
            f'[[clients]]\nname = "a"\nkey_sha256 = "{"0" * 64}"\ndestinations = ["nowhere"]\n',
            "clients[0].destinations: ['nowhere'] not configured",
        ),
        (
            f'[[clients]]\nname = "a"\nkey_sha256 = "{"0" * 64}"\ndestinations = []\n',
            "clients[0].destinations: a non-empty list",
        ),
        ('[privacy]\nfree_text_pii = "ignore"\n', "privacy.free_text_pii:"),
        ('[store]\nbackend = "mongo"\n', "store.backend: 'mongo' is not a backend"),
        ("[gateway\n", "not valid TOML"),
    ],
)
def test_bad_settings_are_named_precisely(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), environ={})
    assert message in str(error.value)


def test_durations_accept_units_and_numbers():
    assert parse_duration("250ms", "k") == 0.25
    assert parse_duration("7d", "k") == 7 * 86400
    assert parse_duration(3, "k") == 3.0


def registry() -> ConnectorRegistry:
    return ConnectorRegistry([ConnectorInfo(FakeConnector(), "fake-dist", "1.0")])


def test_destination_settings_are_checked_against_the_connector_schema(tmp_path):
    missing = load_config(write(tmp_path, '[destinations.x]\nconnector = "fake"\n'), environ={})
    with pytest.raises(ConfigError, match=r"destinations.x.url: required by connector 'fake'"):
        check_destinations(missing, registry())
    unknown = load_config(
        write(tmp_path, '[destinations.x]\nconnector = "fake"\nurl = "u"\npixel = "1"\n'), environ={}
    )
    with pytest.raises(ConfigError, match=r"destinations.x.pixel: connector 'fake' has no setting 'pixel'"):
        check_destinations(unknown, registry())
    absent = load_config(write(tmp_path, '[destinations.x]\nconnector = "tiktok"\n'), environ={})
    with pytest.raises(ConfigError, match=r"no connector 'tiktok' is installed \(installed: fake\)"):
        check_destinations(absent, registry())


def test_a_table_setting_is_flattened_for_per_event_name_mappings(tmp_path):
    text = (
        '[destinations.x]\nconnector = "fake"\nurl = "u"\n'
        '[destinations.x.test_url]\nPurchase = "t1"\nLead = "t2"\n'
    )
    config = load_config(write(tmp_path, text), environ={})
    assert config.destinations["x"].settings["test_url.Purchase"] == "t1"
    assert config.destinations["x"].settings["test_url.Lead"] == "t2"
    check_destinations(config, registry())


def test_the_redis_namespace_is_configurable_and_must_be_a_plain_name(tmp_path):
    text = '[store]\nbackend = "redis"\nredis_namespace = "staging"\n'
    config = load_config(write(tmp_path, text), environ={})
    assert (config.store.backend, config.store.redis_namespace) == ("redis", "staging")
    with pytest.raises(ConfigError, match=r"store.redis_namespace: 'a:b' must be a non-empty name"):
        load_config(write(tmp_path, '[store]\nredis_namespace = "a:b"\n'), environ={})


def test_status_retention_must_outlast_the_dedup_window(tmp_path):
    config = load_config(write(tmp_path, '[store]\nstatus_retention = "7d"\n'), environ={})
    assert config.store.status_retention_seconds == 7 * 86400
    text = '[policy]\ndedup_window = "72h"\n[store]\nstatus_retention = "48h"\n'
    with pytest.raises(
        ConfigError, match=r"store.status_retention: must be at least policy.dedup_window \(72h\)"
    ):
        load_config(write(tmp_path, text), environ={})


def test_the_policy_token_is_a_secret_reference(tmp_path):
    path = write(tmp_path, '[policy]\ntoken = "env:POLICY_TOKEN"\n')
    assert load_config(path, environ={"POLICY_TOKEN": "s3cret"}).policy.token == "s3cret"
    with pytest.raises(ConfigError, match=r"policy.token: environment variable POLICY_TOKEN is not set"):
        load_config(path, environ={})
    assert load_config(write(tmp_path, ""), environ={}).policy.token is None
