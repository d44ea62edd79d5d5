"""Hostile input typed by a user (form fields, CLI parameters) and hostile text coming back from a node on its way
to the terminal. Validators answer with a ValidationError or a value that is safe where it goes: structured values
need no shell quoting at all, free text carries no control character; sizes stay within what vzctl can store. The
CLI never writes a node's escape sequences to the terminal."""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import local_config
from vztui.backend.journal import Journal
from vztui.cli import main
from vztui.openvz import commands, validators
from vztui.openvz.errors import ValidationError
from vztui.openvz.validate import validate_form

LONG_MAX = 2**63 - 1
ESCAPES = "\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;owned\x07\x1b[2J\x9b31m"

STRUCTURED: dict[str, Callable[[str], Any]] = {
    "hostname": validators.validate_hostname,
    "ip": validators.validate_ip,
    "nameserver": validators.validate_nameserver,
    "searchdomain": validators.validate_searchdomain,
    "name": validators.validate_name,
    "template": validators.validate_template,
    "sample": validators.validate_sample_name,
    "layout": validators.validate_layout,
    "uuid": validators.validate_snapshot_uuid,
    "path": validators.validate_path,
    "node address": validators.validate_node_address,
    "ubc name": validators.validate_ubc_name,
}
"""Validators whose accepted values are used bare (config files, vzctl arguments): no quoting may be needed."""

FREE_TEXT: dict[str, Callable[[str], Any]] = {
    "description": validators.validate_description,
    "snapshot name": validators.validate_snapshot_name,
}

NUMBERS: dict[str, Callable[[str], Any]] = {
    "size": validators.validate_size,
    "ctid": validators.validate_ctid,
    "cpuunits": validators.validate_cpuunits,
    "cpus": validators.validate_cpus,
    "ioprio": validators.validate_ioprio,
    "cpulimit": lambda v: validators.validate_cpulimit(v, host_cpus=4)[0],
    "barrier:limit": lambda v: max(validators.validate_barrier_limit(v)),
}

HOSTILE = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list(";|&$`()<>'\"\\*?[]{}~!#\n\r\t\x00\x1b\x07\x9b\u202e\u200b ")),
        st.sampled_from(["$(reboot)", "`id`", "' ; rm -rf / ; '", ESCAPES, "[bold]x[/]", "..", "/../", "-o"]),
        st.sampled_from(["web1", "example.com", "10.0.0.1", "::1", "/32", "512M", "1G", "unlimited", ":"]),
        st.sampled_from([str(LONG_MAX), str(2**64 - 1), "-1", "1e999", "0x10", "1.5", "007", "9" * 40]),
    ),
    max_size=30,
).map("".join)


def _no_control(value: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def _accepted(validator: Callable[[str], Any], value: str) -> Any:
    try:
        return validator(value)
    except ValidationError as error:
        assert error.message, "a refusal says why"
        return None


@pytest.mark.parametrize("kind", sorted(STRUCTURED))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
def test_structured_values_are_refused_or_need_no_quoting(kind: str, value: str) -> None:
    result = _accepted(STRUCTURED[kind], value)
    if result is not None:
        assert shlex.quote(result) == result, f"{kind} accepted {value!r} as {result!r}, which needs quoting"
        assert _no_control(result)


@pytest.mark.parametrize("kind", sorted(FREE_TEXT))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
def test_free_text_is_refused_or_free_of_control_characters(kind: str, value: str) -> None:
    result = _accepted(FREE_TEXT[kind], value)
    if result is not None:
        assert _no_control(result), f"{kind} accepted {result!r}"


@pytest.mark.parametrize("kind", sorted(NUMBERS))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
def test_numbers_are_refused_or_within_what_vzctl_stores(kind: str, value: str) -> None:
    result = _accepted(NUMBERS[kind], value)
    if result is not None:
        assert 0 <= result <= LONG_MAX, f"{kind} accepted {value!r} as {result}"


FORM_FIELDS: tuple[str, ...] = ("ram", "swap", "cpuunits", "cpulimit", "cpus", "diskspace", "diskinodes", "ipadd")
FORM_FIELDS += ("ipdel", "hostname", "nameserver", "searchdomain", "onboot", "name", "description", "ioprio")
FORM_FIELDS += ("ubc.numproc",)


@settings(max_examples=120, deadline=None)
@given(field=st.sampled_from(FORM_FIELDS), value=HOSTILE)
def test_a_set_form_is_refused_or_builds_a_clean_argv(field: str, value: str) -> None:
    changes, errors = validate_form({field: value}, host_cpus=4)
    if changes is None:
        assert errors and all(isinstance(e, ValidationError) and e.field for e in errors)
        return
    if changes.is_empty:
        return
    argv = commands.vzctl_set(101, changes)
    assert argv[:3] == ["vzctl", "set", "101"]
    assert all(_no_control(arg) for arg in argv), argv
    assert argv.count("--save") <= 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hostname", "a;reboot"),
        ("hostname", "web\n1"),
        ("hostname", "web" + ESCAPES),
        ("name", "$(id)"),
        ("description", "line\nbreak"),
        ("description", "x" + ESCAPES),
        ("ram", str(LONG_MAX) + "T"),
        ("ram", "-1G"),
        ("ram", str(2**64 - 1)),
        ("cpus", "-4"),
        ("ipadd", "10.0.0.1;reboot"),
        ("nameserver", "`id`"),
        ("ubc.numproc", f"{2**64}:{2**64}"),
    ],
)
def test_hand_written_hostile_form_values_are_refused_with_a_message(field: str, value: str) -> None:
    changes, errors = validate_form({field: value}, host_cpus=4)
    assert changes is None and errors, f"{field}={value!r} was accepted"
    assert all(str(error).startswith(field) for error in errors)


def _hostile_node(sim: dict[str, Path]) -> None:
    conf = sim["hn1"] / "etc/vz/conf/101.conf"
    text = re.sub(r"^HOSTNAME=.*$", f'HOSTNAME="web{ESCAPES}.example"', conf.read_text(), flags=re.M)
    text = re.sub(r"^DESCRIPTION=.*$\n?", "", text, flags=re.M)
    conf.write_text(text + f'DESCRIPTION="[bold]pwn[/] {ESCAPES}"\n')


def test_vztui_ls_never_writes_a_nodes_escape_sequences_to_the_terminal(
    sim: dict[str, Path], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _hostile_node(sim)
    config = local_config(tmp_path / "config.toml", sim, journal=tmp_path / "journal")
    assert main(["ls", "--config", str(config), "--node", "hn1"]) == 0
    table = capsysbinary.readouterr().out
    assert b"101" in table and b"web" in table
    assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", table), table
    assert main(["ls", "--json", "--config", str(config), "--node", "hn1"]) == 0
    raw = capsysbinary.readouterr().out
    assert b"\x1b" not in raw and b"\x07" not in raw
    rows = json.loads(raw)
    hostile = next(row for row in rows if row["ctid"] == 101)
    assert hostile["hostname"] == f"web{ESCAPES}.example", "JSON keeps the data exactly (escaped, not raw)"


def test_command_output_with_escape_sequences_is_neutralised_in_run_and_journal(
    sim: dict[str, Path], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """``vzctl exec`` output carrying OSC 52 (clipboard), a title set and CSI: streamed by ``vztui run``, listed
    in its table, replayed by ``vztui journal --op``: never raw on the terminal, the journal keeps the bytes."""
    journal = tmp_path / "journal"
    config = local_config(tmp_path / "config.toml", sim, journal=journal)
    command = f"echo 'owned{ESCAPES}[bold]x[/]'"
    code = main(["run", "exec", "101", "--yes", "--config", str(config), "-p", f"command={command}"])
    out = capsysbinary.readouterr()
    assert code == 0, out.err
    assert b"owned" in out.out
    terminal = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
    assert not terminal.search(out.out) and not terminal.search(out.err), out.out
    op_id = next(e.op_id for e in Journal(journal).entries() if e.kind == "exec")
    assert "\x1b]52;" in Journal(journal).read_output(op_id), "the journal keeps what the node printed"
    assert main(["journal", "--op", op_id, "--config", str(config)]) == 0
    replay = capsysbinary.readouterr().out
    assert b"owned" in replay and not terminal.search(replay), replay
