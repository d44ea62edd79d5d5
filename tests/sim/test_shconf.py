"""The simulator's config reader against vzctl 4.x's parse_line() (src/lib/util.c) and vps_parse_config()."""

from __future__ import annotations

from pathlib import Path

from tests.sim.conftest import run_in_process
from vztui.sim.node import SimNode
from vztui.sim.provision import provision_ct
from vztui.sim.shconf import SkippedLine, parse_shell_conf


def test_an_unquoted_value_keeps_the_rest_of_the_line_comment_included() -> None:
    # parse_line() returns everything after '=' unless it starts with '"'; only trailing blanks are trimmed.
    text = "NAMESERVER=8.8.8.8 8.8.4.4\nONBOOT=yes # start at boot\t \nIP_ADDRESS=10.0.0.1  \n"
    assert parse_shell_conf(text) == {
        "NAMESERVER": "8.8.8.8 8.8.4.4",
        "ONBOOT": "yes # start at boot",
        "IP_ADDRESS": "10.0.0.1",
    }


def test_a_quoted_value_runs_to_the_last_quote_and_drops_what_follows() -> None:
    text = 'DESCRIPTION="say "hi"" # note\nHOSTNAME="a b"   \n'
    assert parse_shell_conf(text) == {"DESCRIPTION": 'say "hi"', "HOSTNAME": "a b"}


def test_single_quotes_are_no_quotes_for_vzctl() -> None:
    assert parse_shell_conf("HOSTNAME='web 1'\n") == {"HOSTNAME": "'web 1'"}


def test_backslashes_escape_the_next_character() -> None:
    assert parse_shell_conf('DESCRIPTION="a \\"b\\" c\\\\d"\n') == {"DESCRIPTION": 'a "b" c\\d'}


def test_unparsable_lines_are_skipped_with_vzctl_reasons() -> None:
    skipped: list[SkippedLine] = []
    text = 'HOSTNAME="open\nGARBAGE\n  # indented comment\nONBOOT=no\n'
    assert parse_shell_conf(text, skipped) == {"ONBOOT": "no"}
    assert skipped == [SkippedLine(1, "unmatched quotes"), SkippedLine(2, "'=' not found")]


def test_only_newline_ends_a_line_and_carriage_returns_are_trimmed() -> None:
    assert parse_shell_conf('A="1"\r\nB=2\r\n') == {"A": "1", "B": "2"}


def test_first_duplicate_wins_and_spaced_keys_match_nothing() -> None:
    assert parse_shell_conf('A="1"\nA="2"\nB =3\n') == {"A": "1"}


def test_vzctl_warns_about_the_lines_it_skips(bare_root: Path) -> None:
    node = SimNode(bare_root)
    provision_ct(node, 101, ostemplate="centos-6-x86_64", layout="simfs", sample="basic")
    conf = bare_root / "etc/vz/conf/101.conf"
    lines = conf.read_text().count("\n")
    conf.write_text(conf.read_text() + 'HOSTNAME="broken\nGARBAGE\n')
    result = run_in_process(bare_root, "vzctl", "status", "101")
    assert (result.code, result.stdout) == (0, "CTID 101 exist unmounted down\n")
    assert result.stderr == (
        f"Warning: can't parse /etc/vz/conf/101.conf:{lines + 1} (unmatched quotes), skipping\n"
        f"Warning: can't parse /etc/vz/conf/101.conf:{lines + 2} ('=' not found), skipping\n"
    )
