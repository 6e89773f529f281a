"""Secret references: ``env:``/``file:`` resolved at load, re-read for a rotated token, and a
reference that cannot be read now never wipes the value a destination already has."""

from __future__ import annotations

import pytest
from signalmesh.config import ConfigError, refresh_secrets, resolve_secret, secret_versions
from signalmesh.connector import Destination


def test_a_literal_is_taken_as_written():
    assert resolve_secret("plain-token", "destinations.x.token", environ={}) == "plain-token"


def test_a_file_reference_reads_the_file_without_its_trailing_newline(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    assert resolve_secret(f"file:{secret}", "destinations.x.token", environ={}) == "s3cret"


def test_an_unreadable_file_names_the_key_and_the_path(tmp_path):
    missing = tmp_path / "absent"
    with pytest.raises(ConfigError) as error:
        resolve_secret(f"file:{missing}", "policy.token", environ={})
    assert str(error.value).startswith(f"policy.token: cannot read secret file {missing}")


def test_refresh_reads_a_rotated_file_and_keeps_the_old_value_when_the_reference_breaks(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("first")
    destination = Destination(
        name="shop",
        connector="fake",
        settings={"token": "first", "url": "http://example.test"},
        secret_references={"token": f"file:{secret}"},
    )
    secret.write_text("rotated")
    assert refresh_secrets(destination, environ={}).settings == {
        "token": "rotated",
        "url": "http://example.test",
    }
    secret.unlink()
    assert refresh_secrets(destination, environ={}).settings["token"] == "first"


def test_refresh_reads_environment_references_from_the_given_environment():
    destination = Destination(
        name="shop", connector="fake", settings={"token": "old"}, secret_references={"token": "env:TOKEN"}
    )
    assert refresh_secrets(destination, environ={"TOKEN": "new"}).settings["token"] == "new"
    assert refresh_secrets(destination, environ={}).settings["token"] == "old"


def test_secret_versions_change_when_a_file_is_rewritten_or_replaced(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("first")
    destination = Destination(
        name="shop",
        connector="fake",
        settings={"token": "first"},
        secret_references={"token": f"file:{secret}"},
    )
    before = secret_versions(destination, environ={})
    assert secret_versions(destination, environ={}) == before  # unchanged: no re-read needed
    secret.write_text("rotated-token")
    rewritten = secret_versions(destination, environ={})
    assert rewritten != before
    replacement = tmp_path / "token.new"
    replacement.write_text("rotated-again")
    replacement.replace(secret)  # an atomic replace, as Kubernetes secret mounts do
    assert secret_versions(destination, environ={}) != rewritten


def test_secret_versions_follow_environment_references():
    destination = Destination(
        name="shop", connector="fake", settings={}, secret_references={"token": "env:TOKEN"}
    )
    assert secret_versions(destination, environ={"TOKEN": "a"}) != secret_versions(
        destination, environ={"TOKEN": "b"}
    )
