"""The `signalmesh` parser is built from the registered subcommands: each takes --config, and
adding one is one ``commands.add`` call. Bad usage exits 2 before any network call."""

from __future__ import annotations

import argparse

import pytest
from signalmesh.cli.command import Commands
from signalmesh.cli.main import build_parser, main

SUBCOMMANDS = [
    "gateway",
    "policy",
    "sandbox",
    "up",
    "demo",
    "plugins",
    "send",
    "check",
    "status",
    "diff",
    "trace",
    "dlq",
    "strategy",
    "stats",
    "alerts",
    "reconcile",
    "report",
    "keys",
    "certs",
]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_subcommand_is_registered_in_help_order_and_takes_config():
    registered = subcommands(build_parser())
    assert list(registered) == SUBCOMMANDS
    for name, sub in registered.items():
        options = {option for action in sub._actions for option in action.option_strings}
        assert "--config" in options, name


def test_the_gateway_subcommand_takes_the_same_options_as_python_m_signalmesh_gateway():
    args = build_parser().parse_args(["gateway", "--listen", "127.0.0.1:0", "--policy", "127.0.0.1:9"])
    assert (args.listen, args.policy, args.ready_file, args.config) == (
        "127.0.0.1:0",
        "127.0.0.1:9",
        None,
        None,
    )


def test_a_new_subcommand_is_one_add_call():
    parser = argparse.ArgumentParser(prog="signalmesh")
    commands = Commands(parser)
    sub = commands.add("stats", lambda args: 7, "show statistics")
    sub.add_argument("--since", default="1h")
    args = parser.parse_args(["stats", "--since", "2d"])
    assert args.handler(args) == 7 and args.since == "2d" and args.config is None


def test_dlq_replay_without_ids_or_all_is_bad_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["dlq", "replay", "--gateway", "127.0.0.1:1", "--key", "sm_x"])
    assert exit_.value.code == 2
    assert "--id ENTRY" in capsys.readouterr().err


def test_a_broken_config_file_exits_2_naming_the_problem(tmp_path, capsys):
    broken = tmp_path / "signalmesh.toml"
    broken.write_text("[gateway]\nlistn = 1\n")
    with pytest.raises(SystemExit) as exit_:
        main(["plugins", "--config", str(broken)])
    assert exit_.value.code == 2
    assert "gateway: unknown key(s) ['listn']" in capsys.readouterr().err
