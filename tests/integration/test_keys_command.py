"""`signalmesh keys new|list|revoke` on a real SQLite state directory, run in-process."""

from __future__ import annotations

import re

import pytest
import structlog
from signalmesh.cli.main import main


def _run(capsys, *argv: str) -> str:
    try:
        main(list(argv))
    except SystemExit as done:
        assert done.code in (0, None), done.code
    return capsys.readouterr().out


def test_new_list_and_revoke_a_stored_key(tmp_path, capsys):
    config = tmp_path / "signalmesh.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    with structlog.testing.capture_logs() as logs:
        made = _run(
            capsys,
            "keys",
            "new",
            "--client",
            "shop",
            "--scopes",
            "events:write",
            "--expires",
            "30d",
            "--config",
            str(config),
        )
        key = re.search(r"(sm_\S+)", made).group(1)
        key_id = re.search(r"key id: (\w+)", made).group(1)
        listed = _run(capsys, "keys", "list", "--config", str(config))
        assert f"{key_id}  shop  valid  scopes=events:write" in listed and key not in listed
        _run(capsys, "keys", "revoke", key_id, "--config", str(config))
        assert f"{key_id}  shop  revoked" in _run(capsys, "keys", "list", "--config", str(config))
    audits = [(line["action"], line["target"]) for line in logs if line["event"] == "audit"]
    assert audits == [("keys.new", f"client=shop key_id={key_id}"), ("keys.revoke", f"key_id={key_id}")]
    assert all(line["client"].startswith("cli:") for line in logs if line["event"] == "audit")


def test_an_unknown_scope_is_refused(tmp_path, capsys):
    config = tmp_path / "signalmesh.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    with pytest.raises(SystemExit) as done:
        main(["keys", "new", "--client", "shop", "--scopes", "root", "--config", str(config)])
    assert done.value.code not in (0, None)
