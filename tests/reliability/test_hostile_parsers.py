"""Hostile node output against every parser of ``vztui.openvz.parsers``: random text, real output from the simulator
mutated (truncated, banner lines in front, escape sequences and markup spliced in, 1 MB lines, LONG_MAX, 2^64-1 and
negative numbers, invalid UTF-8 decoded as the transports decode it). The only acceptable outcomes are data or a
``ParseError``; escape sequences in names and descriptions survive as data for the UI to render as plain text."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vztui.openvz import parsers
from vztui.openvz.errors import ParseError
from vztui.sim.cluster import build_cluster

LONG_MAX = 2**63 - 1
ULLONG_MAX = 2**64 - 1
OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"
TITLE = "\x1b]0;owned\x07"
CSI = "\x1b[2J\x1b[31m"
MARKUP = "[bold red]x[/][link=http://evil]y[/link]"
HOSTILE = OSC52 + TITLE + CSI + MARKUP + "$(reboot);`id`|&\n"
BANNER = "Welcome to hn1.example.com!\n*** Scheduled maintenance tonight 22:00 ***\nLast login: Mon Dec  1\n"

PARSERS: dict[str, Callable[[str], Any]] = {
    "parse_bc_resources": lambda text: parsers.parse_bc_resources(text, ctid=101),
    "parse_conf": parsers.parse_conf,
    "parse_cpuinfo": parsers.parse_cpuinfo,
    "parse_df": parsers.parse_df,
    "parse_loadavg": parsers.parse_loadavg,
    "parse_meminfo": parsers.parse_meminfo,
    "parse_proc_vzquota": parsers.parse_proc_vzquota,
    "parse_snapshot_list": parsers.parse_snapshot_list,
    "parse_template_list": parsers.parse_template_list,
    "parse_user_beancounters": parsers.parse_user_beancounters,
    "parse_veinfo": parsers.parse_veinfo,
    "parse_vestat": parsers.parse_vestat,
    "parse_vzcalc": parsers.parse_vzcalc,
    "parse_vzconf": parsers.parse_vzconf,
    "parse_vzcpucheck": parsers.parse_vzcpucheck,
    "parse_vzctl_status": parsers.parse_vzctl_status,
    "parse_vzlist_json": parsers.parse_vzlist_json,
    "parse_vzlist_table": lambda text: parsers.parse_vzlist_table(text, ["ctid", "status", "hostname"]),
    "parse_vzmemcheck": parsers.parse_vzmemcheck,
    "parse_vzquota_stat": parsers.parse_vzquota_stat,
}


DF = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda3 103081248 4194304 93638816 5% /vz\n"
"""``df -P /vz`` as a node prints it (the simulator has no df of its own)."""

VZCALC = """\
Resource     Current(%)  Promised(%)  Max(%)
Low Mem            0.27       1.20       1.20
Total RAM          0.45       2.10       2.10
Mem + Swap         0.31       1.30       1.30
Alloc. Mem         0.58       2.90       2.90
Num. Proc          0.04       0.64       0.64
--------------------------------------------
Memory             0.58       2.90       2.90
"""
"""``vzcalc -v`` of a legacy (UBC) CT as REFERENCE §6.4 describes it: the demo's vswap CTs have no such output."""


def test_every_public_parser_is_under_test() -> None:
    assert set(PARSERS) == {name for name in parsers.__all__ if name.startswith("parse_")}


def outcome(name: str, text: str) -> Any:
    """Parse, allowing only data or ParseError; anything else fails with the parser and a reproducer."""
    try:
        return PARSERS[name](text)
    except ParseError as error:
        assert str(error), f"{name}: a ParseError must say what is wrong"
        return error
    except Exception as error:  # the point of the suite: anything else is a bug
        raise AssertionError(f"{name} raised {type(error).__name__}: {error} on {text[:200]!r}") from error


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Real output for each parser, produced by the simulator's tools and kernel files."""
    os.environ["VZTUI_SIM_SPEED"] = "0"
    root = build_cluster(tmp_path_factory.mktemp("hostile") / "c", nodes=1, cts=4, seed=3).nodes["hn1"]
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}

    def tool(*argv: str) -> str:
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=False).stdout

    proc = root / "proc"
    return {
        "parse_bc_resources": (proc / "bc" / "101" / "resources").read_text(),
        "parse_conf": (root / "etc/vz/conf/101.conf").read_text(),
        "parse_cpuinfo": (proc / "cpuinfo").read_text(),
        "parse_df": DF,
        "parse_loadavg": (proc / "loadavg").read_text(),
        "parse_meminfo": (proc / "meminfo").read_text(),
        "parse_proc_vzquota": (proc / "vz" / "vzquota").read_text(),
        "parse_snapshot_list": tool("vzctl", "snapshot-list", "101"),
        "parse_template_list": tool("vztmpl-dl", "--list-local"),
        "parse_user_beancounters": (proc / "user_beancounters").read_text(),
        "parse_veinfo": (proc / "vz" / "veinfo").read_text(),
        "parse_vestat": (proc / "vz" / "vestat").read_text(),
        "parse_vzcalc": VZCALC,
        "parse_vzconf": (root / "etc/vz/vz.conf").read_text(),
        "parse_vzcpucheck": tool("vzcpucheck", "-v"),
        "parse_vzctl_status": tool("vzctl", "status", "101"),
        "parse_vzlist_json": tool("vzlist", "-a", "-j"),
        "parse_vzlist_table": tool("vzlist", "-a", "-H", "-o", "ctid,status,hostname"),
        "parse_vzmemcheck": tool("vzmemcheck", "-v"),
        "parse_vzquota_stat": tool("vzquota", "stat", "101", "-t"),
    }


def test_the_real_samples_parse(samples: dict[str, str]) -> None:
    failed = {name: outcome(name, text) for name, text in samples.items()}
    assert not {n: e for n, e in failed.items() if isinstance(e, ParseError)}, "the baseline must parse"


HOSTILE_TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x1b", "\x07", "\x9b", "\x00", "\r", "\n", "\t", " ", ":", "=", '"', "{", "}", "[", "]"]),
        st.sampled_from([str(LONG_MAX), str(ULLONG_MAX), "-1", "-9223372036854775808", "1e999", "NaN", "0x10"]),
        st.sampled_from(["Version: 2.5", "uid  resource", "CTID ", '[{"ctid": ', "Resource ", "MemTotal:", "\n101: "]),
    ),
    max_size=120,
).map("".join)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE_TEXT)
def test_random_text_is_data_or_parse_error(name: str, text: str) -> None:
    outcome(name, text)


MUTATIONS: dict[str, Callable[[str], str]] = {
    "banner first": lambda s: BANNER + s,
    "escapes and markup spliced in": lambda s: s.replace(" ", " " + HOSTILE, 3),
    "truncated at half": lambda s: s[: len(s) // 2],
    "truncated mid-line": lambda s: s[: max(1, s.rfind("\n", 0, len(s) - 1) + 7)],
    "1 MB line appended": lambda s: s + "x" * (1 << 20) + "\n",
    "1 MB line in front": lambda s: "9" * (1 << 20) + "\n" + s,
    "invalid UTF-8 as decoded": lambda s: (s.encode() + b"\xff\xfe\xc3(\xed\xa0\x80\n").decode("utf-8", "replace"),
    "CRLF line ends": lambda s: s.replace("\n", "\r\n"),
    "NUL bytes": lambda s: s.replace("\n", "\x00\n", 2),
    "numbers at LONG_MAX": lambda s: _numbers(s, LONG_MAX),
    "numbers at 2^64-1": lambda s: _numbers(s, ULLONG_MAX),
    "numbers negative": lambda s: _numbers(s, -1),
    "numbers far beyond 2^64": lambda s: _numbers(s, 10**40),
    "empty": lambda s: "",
    "only whitespace": lambda s: " \n\t\n",
}


def _numbers(text: str, value: int) -> str:
    """Every standalone integer field replaced by ``value``."""
    import re

    return re.sub(r"(?<![\w.-])\d+(?![\w.])", str(value), text)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutated_real_output_is_data_or_parse_error(samples: dict[str, str], mutation: str) -> None:
    for name, text in samples.items():
        start = time.monotonic()
        outcome(name, MUTATIONS[mutation](text))
        assert time.monotonic() - start < 2.0, f"{name} took too long on {mutation!r}"


def test_a_banner_before_real_output_gives_the_right_data_or_an_error(samples: dict[str, str]) -> None:
    """Never wrong data: with MOTD lines in front, a parser either ignores them or refuses the whole text."""
    for name, text in samples.items():
        clean, dirty = outcome(name, text), outcome(name, BANNER + text)
        assert isinstance(dirty, ParseError) or dirty == clean, name


def test_escape_sequences_in_names_and_descriptions_stay_data(samples: dict[str, str]) -> None:
    rows = json.loads(samples["parse_vzlist_json"])
    rows[0]["hostname"] = "web" + OSC52 + TITLE
    rows[0]["description"] = HOSTILE
    rows[0]["name"] = MARKUP
    parsed = parsers.parse_vzlist_json(json.dumps(rows))
    first = next(ct for ct in parsed if ct.ctid == rows[0]["ctid"])
    assert first.hostname == "web" + OSC52 + TITLE
    assert first.description == HOSTILE
    assert first.name == MARKUP


@pytest.mark.parametrize("value", [LONG_MAX, ULLONG_MAX, -1, 10**30])
def test_extreme_beancounter_values_are_kept_exactly_or_refused(samples: dict[str, str], value: int) -> None:
    text = samples["parse_user_beancounters"]
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "numproc" in line)
    fields = lines[row].split()
    fields[-2] = str(value)  # the limit column
    lines[row] = "  ".join(fields)
    result = outcome("parse_user_beancounters", "\n".join(lines) + "\n")
    if isinstance(result, ParseError):
        return
    limits = [bc.limit for blocks in _values(result) for bc in blocks if bc.resource == "numproc"]
    assert value in limits, "an accepted value is reported exactly, never wrapped or clamped silently"


def _values(result: Any) -> list[Any]:
    blocks = result.values() if isinstance(result, dict) else result
    return [block.values() if isinstance(block, dict) else block for block in blocks]
