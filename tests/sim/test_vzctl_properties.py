"""Properties of vzctl's parsing layers: getopt emulation and the container shell never crash on any input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vztui.sim.privatearea import make_private_area
from vztui.sim.vzctl.getopt import GetoptLong, LongOpt, Opt, OptError
from vztui.sim.vzctl.shell import Shell, ShellContext, ShellExit

OPTIONS = (
    LongOpt("save", False, "save"),
    LongOpt("swap", True, "swap"),
    LongOpt("swappages", True, "swappages"),
    LongOpt("ram", True, "ram"),
)
WORDS = st.sampled_from(["--save", "--sav", "--sw", "--swap", "--swap=1G", "--ram", "-x", "-e", "-", "--", "a", ""])
SHELL_WORDS = st.sampled_from(
    [
        "cat",
        "ls",
        "cd",
        "echo",
        "grep",
        "-v",
        "-c",
        "wc",
        "-l",
        "head",
        "-n",
        "tail",
        "ps",
        "aux",
        "df",
        "free",
        "-m",
        "uptime",
        "hostname",
        "exit",
        "false",
        "true",
        "|",
        "||",
        "&&",
        ";",
        ">",
        ">>",
        "<",
        "/",
        "..",
        "/etc",
        "/proc/loadavg",
        "'",
        '"',
        "x y",
        "sort",
        "uname",
        "-a",
        "abc",
        "3",
    ]
)


def _is_subsequence(part: list[str], whole: list[str]) -> bool:
    iterator = iter(whole)
    return all(any(item == candidate for candidate in iterator) for item in part)


@given(st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=8))
def test_getopt_never_loses_or_invents_arguments(args: list[str]) -> None:
    parser = GetoptLong(args, OPTIONS, "e:h")
    items = list(parser)
    assert all(isinstance(item, Opt | OptError) for item in items)
    assert all(item.message.startswith("vzctl: ") for item in items if isinstance(item, OptError))
    assert _is_subsequence(parser.positional, args)
    consumed = sum(1 for item in items if isinstance(item, Opt) and item.value is not None)
    assert len(parser.positional) + len(items) <= len(args) + consumed + sum(len(a) for a in args)


@pytest.fixture(scope="module")
def ct_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ct") / "101"
    make_private_area(root, layout="simfs", ostemplate="centos-6-x86_64", diskspace_kib=0, hostname="ct101")
    return root


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.one_of(SHELL_WORDS, st.text(max_size=6)), max_size=10))
def test_the_container_shell_never_crashes(ct_root: Path, words: list[str]) -> None:
    root = ct_root
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(ShellContext(ctid=101, root=root, hostname="ct101"), out, err)
    try:
        status = shell.run_line(" ".join(words))
    except ShellExit as done:
        status = done.status
    assert 0 <= status <= 255
