"""A service process announces its address atomically and turns start-up errors into exit codes."""

from __future__ import annotations

import pytest
from signalmesh.config import ConfigError
from signalmesh.plugins import PluginError
from signalmesh.service_process import exit_code, write_ready_file


def test_the_ready_file_holds_exactly_the_address_and_no_temporary_is_left(tmp_path):
    ready = tmp_path / "gateway.ready"
    write_ready_file(str(ready), "127.0.0.1:51234")
    assert ready.read_text() == "127.0.0.1:51234"
    assert [path.name for path in tmp_path.iterdir()] == ["gateway.ready"]


def test_no_ready_file_asked_for_writes_nothing(tmp_path):
    write_ready_file(None, "127.0.0.1:1")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("error", "code", "printed"),
    [
        (
            ConfigError("gateway.listen: must be a str"),
            2,
            "configuration error: gateway.listen: must be a str",
        ),
        (PluginError("no connector 'x'"), 2, "configuration error: no connector 'x'"),
        (KeyboardInterrupt(), 130, ""),
    ],
)
def test_start_up_errors_become_exit_codes(capsys, error, code, printed):
    def run() -> int:
        raise error

    assert exit_code(run) == code
    assert capsys.readouterr().err.strip() == printed


def test_a_clean_run_keeps_its_exit_code():
    assert exit_code(lambda: 0) == 0
