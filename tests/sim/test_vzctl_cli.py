"""vzctl's command-line layer: global flags, usage, commands, CTIDs and names, option errors (REFERENCE §2.1-2.2)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from vztui.sim.node import SimNode
from vztui.sim.provision import init_node
from vztui.sim.vzctl import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "hn1"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VZTUI_SIM_SPEED", "0")
        init_node(path)
        vzctl(path, "create", "101", "--ostemplate", "centos-6-x86_64", "--name", "web1")
    return path


def vzctl(root: Path, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(SimNode(root), list(argv), out, err)
    return Run(code, out.getvalue(), err.getvalue())


def test_no_arguments_prints_usage_on_stderr_and_exits_20(root: Path) -> None:
    run = vzctl(root)
    assert run.code == 20
    assert run.out == ""
    assert run.err.startswith("vzctl version 4.11.1\nCopyright (C) 2000-2013, Parallels, Inc.\n")
    assert "Usage: vzctl [options] <command> <ctid> [parameters]\n" in run.err
    assert run.err.endswith("   --swappages P[:P]\n")


def test_help_prints_usage_on_stdout_and_exits_0(root: Path) -> None:
    run = vzctl(root, "--help")
    assert (run.code, run.err) == (0, "")
    assert run.out == vzctl(root).err


def test_version_flag(root: Path) -> None:
    assert vzctl(root, "--version") == Run(0, "vzctl version 4.11.1\n", "")
    assert vzctl(root, "--quiet", "--version") == Run(0, "vzctl version 4.11.1\n", "")


def test_global_flags_only_count_before_the_command(root: Path) -> None:
    run = vzctl(root, "status", "101", "--quiet")
    assert run.code == 20
    assert run.err == "Invalid options: --quiet \n"


def test_bad_command(root: Path) -> None:
    assert vzctl(root, "bogus") == Run(20, "", "Bad command: bogus\n")
    assert vzctl(root, "bogus", "101") == Run(20, "", "Bad command: bogus\n")


def test_ctid_missing(root: Path) -> None:
    assert vzctl(root, "start") == Run(21, "", "CT ID missing\n")


@pytest.mark.parametrize("arg", ["abc", "0x10", "-1", "2147483645", "nosuchname"])
def test_bad_ctid(root: Path, arg: str) -> None:
    assert vzctl(root, "start", arg) == Run(21, "", f"Bad CT ID {arg}\n")


def test_a_name_works_wherever_a_ctid_does(root: Path) -> None:
    assert vzctl(root, "status", "web1").out == "CTID 101 exist unmounted down\n"


def test_ct0_allows_only_set(root: Path) -> None:
    assert vzctl(root, "start", "0") == Run(21, "", "Only set actions are allowed for CT0\n")


def test_missing_config_is_exit_14_with_empty_stdout(root: Path) -> None:
    for command in ("start", "stop", "destroy", "mount"):
        assert vzctl(root, command, "999") == Run(14, "", "Container config file does not exist\n")


def test_status_needs_no_config_and_always_exits_0(root: Path) -> None:
    run = vzctl(root, "status", "999")
    assert run.code == 0
    assert run.out == "CTID 999 deleted unmounted down\n"
    assert run.err == "stat(/vz/root/999): No such file or directory\n"


def test_unknown_option_for_set_and_create_is_exit_21(root: Path) -> None:
    assert vzctl(root, "set", "101", "--bogus") == Run(21, "", "vzctl: unrecognized option '--bogus'\n")
    run = vzctl(root, "create", "102", "--bogus")
    assert run.code == 21
    assert run.err == "vzctl: unrecognized option '--bogus'\n"


def test_missing_option_argument(root: Path) -> None:
    assert vzctl(root, "set", "101", "--ram") == Run(21, "", "vzctl: option '--ram' requires an argument\n")


def test_bad_value_for_set(root: Path) -> None:
    assert vzctl(root, "set", "101", "--ram", "abc") == Run(21, "", "Bad parameter for --ram: abc\n")


def test_unknown_option_for_start_stop_restart_is_exit_20(root: Path) -> None:
    for command in ("start", "stop", "restart"):
        assert vzctl(root, command, "101", "--bogus") == Run(20, "", "vzctl: unrecognized option '--bogus'\n")


def test_start_and_stop_options_are_not_interchangeable(root: Path) -> None:
    assert vzctl(root, "stop", "101", "--wait") == Run(20, "", "Option --wait is not applicable to stop command\n")
    assert vzctl(root, "start", "101", "--fast") == Run(20, "", "Option --fast is not applicable to start command\n")


def test_option_prefixes_are_accepted_like_getopt_long(root: Path) -> None:
    assert vzctl(root, "stop", "101", "--fa").err == "Unable to stop: container is not running\n"


def test_extra_arguments_have_a_trailing_space(root: Path) -> None:
    assert vzctl(root, "start", "101", "a", "b") == Run(20, "", "Invalid extra arguments: a b \n")
    assert vzctl(root, "set", "101", "a", "b").err == "Invalid extra arguments: a b \n"


def test_quiet_silences_logger_messages(root: Path) -> None:
    assert vzctl(root, "--quiet", "stop", "101") == Run(0, "", "")


def test_exec_without_command(root: Path) -> None:
    assert vzctl(root, "exec", "101") == Run(20, "", "No command line given for exec\n")


def test_enter_rejects_unknown_options(root: Path) -> None:
    assert vzctl(root, "enter", "101", "--bogus") == Run(20, "", "Invalid option '--bogus'\n")
    assert vzctl(root, "enter", "101", "--exec") == Run(20, "", "No command line given for --exec\n")


def test_messages_are_logged_in_vzctl_format(root: Path) -> None:
    vzctl(root, "stop", "101")
    last = (root / "var/log/vzctl.log").read_text().splitlines()[-1]
    stamp, _, rest = last.partition(" ")
    assert rest == "vzctl : CT 101 : Unable to stop: container is not running"
    assert len(stamp) == len("2026-11-24T11:48:18+0000")
    assert stamp[10] == "T"


def test_an_empty_ctid_is_ct0_like_strtol_says(root: Path) -> None:
    assert vzctl(root, "start", "") == Run(21, "", "Only set actions are allowed for CT0\n")
    assert vzctl(root, "start", "99999999999") == Run(21, "", "Bad CT ID 99999999999\n")
