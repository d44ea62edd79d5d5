"""The command line itself: help, version, exit codes and --show-config, in-process and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import write
from vztui import __version__
from vztui.cli import main


def test_help_has_examples_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "vztui ls --filter 'status:running failcnt>0' --json" in out
    assert "2  usage or configuration error" in out
    assert "3  a node was unreachable" in out


def test_subcommand_help_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "--help"]) == 0
    assert "node:hn2  status:running" in capsys.readouterr().out
    assert main(["ls", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    assert main(["show", "abc"]) == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"vztui {__version__}"


def test_show_config_reports_every_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    system = write(tmp_path / "system.toml", "[defaults]\nconcurrency = 2\n")
    user = write(tmp_path / "config.toml", "# mine\n[defaults]\nuser = 'ops'\n\n[nodes.hn1]\nhost = '10.0.0.1'\n")
    monkeypatch.setenv("VZTUI_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("VZTUI_REFRESH", "5")
    assert main(["--show-config", "--read-only", "--config", str(user)]) == 0
    out = capsys.readouterr().out
    defaults = out.split("[defaults]")[1].split("[ui]")[0]
    lines = {line.split("#")[0].strip(): line.split("#", 1)[1].strip() for line in defaults.splitlines() if "=" in line}
    assert lines["refresh = 5.0"] == "env VZTUI_REFRESH"
    assert lines["read_only = true"] == "flag --read-only"
    assert lines["concurrency = 2"] == f"system file {system}:2"
    assert lines['user = "ops"'] == f"user file {user}:3"
    assert f'host = "10.0.0.1"        # user file {user}:6' in out
    assert lines['transport = "paramiko"'] == "built-in"
    assert "[nodes.hn1]" in out
    assert 'user = "ops"' in out.split("[nodes.hn1]")[1]
    assert f"user file {user}:3 via [defaults]" in out.split("[nodes.hn1]")[1]

    assert main(["--show-config", "--json", "--config", str(user)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["defaults"]["refresh"] == {"value": 5.0, "origin": "env VZTUI_REFRESH"}
    assert data["nodes"]["hn1"]["max_parallel"] == {"value": 2, "origin": f"system file {system}:2 via [defaults]"}


def test_bad_config_exits_2_with_file_line_and_no_traceback(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", "[defaults]\nrefresh = 'soon'\n[nodes.hn1]\nport = 0\n")
    env = {**os.environ, "VZTUI_CONFIG": str(config)}
    done = subprocess.run(
        [sys.executable, "-m", "vztui.cli", "ls"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f'vztui: {config}:2: defaults.refresh: expected a number, got a string ("soon")\n'
        f"vztui: {config}:4: nodes.hn1.port: must be between 1 and 65535, got 0\n"
    )


def test_no_nodes_configured_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls"]) == 2
    assert (
        "no nodes configured: add one with `vztui nodes add NAME HOST`, or try `vztui --demo`"
        in capsys.readouterr().err
    )


def test_unknown_node_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.toml", "[nodes.hn1]\n")
    assert main(["ls", "--node", "hn9", "--config", str(config)]) == 2
    assert "unknown node 'hn9' (known: hn1)" in capsys.readouterr().err


def test_scriptable_commands_start_without_textual() -> None:
    code = "import sys; from vztui.cli import main; main(['ls', '--help']); assert 'textual' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_completion_scripts_are_valid_shell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = write(tmp_path / "vztui.bash", capsys.readouterr().out)
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert main(["completion", "zsh"]) == 0
    assert capsys.readouterr().out.startswith("#compdef vztui")


@pytest.mark.parametrize(
    "argv",
    [
        ["ls"],
        ["failing"],
        ["show"],
        ["journal"],
        ["run"],
        ["nodes"],
        ["nodes", "list"],
        ["nodes", "add"],
        ["nodes", "remove"],
        ["nodes", "test"],
        ["nodes", "trust"],
        ["completion"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--help"]) == 0
    assert "exit codes:" in capsys.readouterr().out


def test_container_arguments_keep_clear_of_the_demo_options() -> None:
    """``vztui --demo --cts 5 run restart hn1/101 102``: the CTs to act on and the demo's CTs per node are two
    different arguments (one name for both once sent the target list into the demo builder)."""
    from vztui.cli.parser import build_parser

    args = build_parser().parse_args(["--demo", "--cts", "5", "run", "restart", "hn1/101", "102"])
    assert args.cts == 5 and args.targets == [("hn1", 101), (None, 102)]
    args = build_parser().parse_args(["--demo", "show", "hn2/7"])
    assert args.cts is None and args.ct == ("hn2", 7)
