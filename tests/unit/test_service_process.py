"""A service process announces its address atomically and turns start-up errors into exit codes."""

from __future__ import annotations

import pytest
from signalmesh.config import ConfigError
from signalmesh.plugins import PluginError
from signalmesh.service_process import exit_code, service_main, write_ready_file


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


def test_service_main_loads_the_config_and_passes_the_services_own_arguments(tmp_path):
    config_file = tmp_path / "signalmesh.toml"
    config_file.write_text('state_dir = "state"\n')
    seen = {}

    def add_arguments(parser):
        parser.add_argument("--listen")

    def run(config, args):
        seen.update(config=config, listen=args.listen)
        return 7

    argv = ["--config", str(config_file), "--listen", "127.0.0.1:0"]
    assert service_main("policy", add_arguments, run, argv) == 7
    assert seen["listen"] == "127.0.0.1:0"
    assert seen["config"].state_dir.name == "state"


def test_service_main_turns_a_broken_config_into_exit_code_2(tmp_path, capsys):
    config_file = tmp_path / "signalmesh.toml"
    config_file.write_text("this is = = not toml")
    argv = ["--config", str(config_file)]
    assert service_main("gateway", lambda parser: None, lambda config, args: 0, argv) == 2
    assert "configuration error" in capsys.readouterr().err


def test_settling_the_heap_freezes_what_start_up_left_and_raises_the_thresholds():
    import gc

    from signalmesh.service_process import GC_THRESHOLDS, settle_heap

    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
