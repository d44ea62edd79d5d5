"""Properties of the tool-output parsers: what vzlist/vzctl/the config writer print reads back exactly, and any
other text gives a result or ParseError, never another exception."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vztui.openvz.conf import apply_set
from vztui.openvz.errors import ParseError
from vztui.openvz.models import CtStatus
from vztui.openvz.parsers import (
    expand_veid,
    parse_conf,
    parse_snapshot_list,
    parse_template_list,
    parse_vzcalc,
    parse_vzconf,
    parse_vzcpucheck,
    parse_vzctl_status,
    parse_vzlist_json,
    parse_vzlist_table,
    parse_vzmemcheck,
    parse_vzquota_stat,
)
from vztui.openvz.setparams import SetParamError, parse_set_args

TRICKY = [
    "\\n",
    '\\"',
    "\\u0041",
    "\\\\",
    '", "name": "',
    '", "hostname": "x',
    '",',
    '"',
    "\\",
    ",",
    ", ",
    '", "',
    ": ",
    "{",
    "}",
    "[",
    "]",
    "\t",
    "\r",
    "\x00",
    "\x1b",
    "\u2028",
    "é",
    "null",
]

# Text a config value can hold: anything but a newline (vzctl reads its files line by line).
any_char = st.characters(exclude_characters="\n", exclude_categories=("Cs", "Co"))
line_text = (
    st.lists(
        st.one_of(st.sampled_from(TRICKY), any_char),
        max_size=15,
    )
    .map("".join)
    .map(lambda s: s.replace("\n", ""))
)
# vzlist list items come from space-separated config values: no whitespace inside.
list_item = st.text(
    st.one_of(
        st.sampled_from(['"', "\\", ",", "[", "]", ":"]),
        st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: not any(c.isspace() for c in s))


def _jstr(value: str | None) -> str:
    """vzlist's string output: quotes around the raw bytes, nothing escaped (REFERENCE §3.4)."""
    return "null" if value is None else f'"{value}"'


@st.composite
def vzlist_cts(draw: st.DrawFn) -> list[dict[str, Any]]:
    ctids = draw(st.lists(st.integers(0, 2147483644), max_size=4, unique=True))
    cts = []
    for ctid in ctids:
        cts.append(
            {
                "ctid": ctid,
                "name": draw(st.none() | line_text),
                "hostname": draw(st.none() | line_text),
                "description": draw(st.none() | line_text),
                "ostemplate": draw(st.none() | line_text),
                "ip": draw(st.lists(list_item, max_size=3)),
                "nameserver": draw(st.lists(list_item, max_size=2)),
                "status": draw(st.sampled_from(["running", "stopped", "mounted", "suspended"])),
                "order": draw(st.permutations(["name", "hostname", "description", "ostemplate", "ip", "nameserver"])),
            }
        )
    return cts


def _render_vzlist(cts: list[dict[str, Any]]) -> str:
    """The exact layout vzlist -j writes (the simulator's writer, REFERENCE §3.4)."""
    parts = ["["]
    for number, ct in enumerate(cts):
        fields = [("ctid", str(ct["ctid"]))]
        for key in ct["order"]:
            if key in ("ip", "nameserver"):
                fields.append((key, "[" + ", ".join(f'"{item}"' for item in ct[key]) + "]"))
            else:
                fields.append((key, _jstr(ct[key])))
        smart = _jstr(ct["name"]) if ct["name"] is not None else str(ct["ctid"])
        fields += [("smart_name", smart), ("status", _jstr(ct["status"]))]
        parts.append(("," if number else "") + "\n  {")
        parts.extend(("," if i else "") + f'\n    "{key}": {value}' for i, (key, value) in enumerate(fields))
        parts.append("\n  }")
    parts.append("\n]\n")
    return "".join(parts)


def _check_round_trip(cts: list[dict[str, Any]], text: str) -> None:
    parsed = parse_vzlist_json(text)
    assert [ct.ctid for ct in parsed] == [ct["ctid"] for ct in cts]
    for want, got in zip(cts, parsed, strict=True):
        assert got.name == want["name"]
        assert got.hostname == want["hostname"]
        assert got.description == want["description"]
        assert got.ostemplate == want["ostemplate"]
        assert got.ips == tuple(want["ip"])
        assert got.nameservers == tuple(want["nameserver"])
        assert got.status is CtStatus(want["status"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vzlist_cts())
def test_vzlist_json_unescaped_strings_round_trip(cts: list[dict[str, Any]]) -> None:
    _check_round_trip(cts, _render_vzlist(cts))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vzlist_cts(), line_text)
def test_vzlist_json_round_trips_after_a_banner_and_as_rejoined_chunks(cts: list[dict[str, Any]], banner: str) -> None:
    assume(not banner.lstrip(" \t").startswith("["))
    text = _render_vzlist(cts)
    _check_round_trip(cts, banner + "\n" + text)
    # The poller re-reads changed objects as "[" + ",".join(objects) + "]" (vztui.backend.assemble).
    inner = text.strip()[1:-1].strip()
    if inner:
        objects = inner.split("\n  },\n  {")
        chunks = [
            ("" if i == 0 else "{") + obj + ("" if i == len(objects) - 1 else "\n  }") for i, obj in enumerate(objects)
        ]
        _check_round_trip(cts, "[" + ",".join(chunks) + "]")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostname=line_text, description=line_text, name=st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True))
def test_conf_reads_back_what_the_config_writer_saved(hostname: str, description: str, name: str) -> None:
    assume(hostname.strip() and description.strip())
    try:
        request = parse_set_args(["--hostname", hostname, "--description", description, "--name", name, "--save"])
    except SetParamError:
        assume(False)
        raise
    before = '# sample\nHOSTNAME="old"\nONBOOT="yes"\n'
    saved = parse_conf(apply_set(before, request))
    assert saved["HOSTNAME"] == hostname
    assert saved["DESCRIPTION"] == description
    assert saved["NAME"] == name
    assert saved["ONBOOT"] == "yes"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True), line_text, st.sampled_from(['"', "'"])),
        max_size=8,
    ),
    st.lists(line_text, max_size=3),
)
def test_conf_quoted_values_round_trip_and_first_assignment_wins(
    items: list[tuple[str, str, str]], comments: list[str]
) -> None:
    lines = [f"# {comment}" for comment in comments]
    expected: dict[str, str] = {}
    for key, value, quote in items:
        assume(quote not in value or quote == '"')
        lines.append(f"{key}={quote}{value}{quote}")
        expected.setdefault(key, value)
    assert parse_conf("\n".join(lines) + "\n") == expected


# vzlist table columns: (field, alignment, width, cut width for a middle column or 0, value strategy)
printable = st.characters(categories=("L", "N", "P", "S"), include_characters=" ")
word = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=40)
TABLE_COLUMNS: dict[str, tuple[str, int, int, st.SearchStrategy[str]]] = {
    "ctid": ("right", 10, 0, st.integers(0, 2147483644).map(str)),
    "numproc": ("right", 10, 0, st.one_of(st.just("-"), st.integers(0, 99999).map(str))),
    "kmemsize.l": ("right", 10, 0, st.integers(0, 9223372036854775807).map(str)),
    "status": ("left", 9, 0, st.sampled_from(["running", "stopped", "mounted", "suspended"])),
    "ip": ("left", 15, 15, st.lists(word, min_size=1, max_size=3).map(" ".join)),
    "hostname": ("left", 32, 32, word),
    "description": ("left", 32, 32, st.text(printable, max_size=50)),
    "smart_name": ("right", 10, 10, word),
    "laverage": ("right", 14, 0, st.just("0.10/0.20/0.30")),
    "layout": ("left", 6, 0, st.sampled_from(["ploop", "simfs"])),
}


TABLE_HEADERS = {
    "ctid": "CTID",
    "numproc": "NPROC",
    "kmemsize.l": "KMEMSIZE.L",
    "status": "STATUS",
    "ip": "IP_ADDR",
    "hostname": "HOSTNAME",
    "description": "DESCRIPTION",
    "smart_name": "SMARTNAME",
    "laverage": "LAVERAGE",
    "layout": "LAYOUT",
}


@st.composite
def vzlist_table(draw: st.DrawFn) -> tuple[list[str], list[dict[str, str]]]:
    fields = draw(st.lists(st.sampled_from(sorted(TABLE_COLUMNS)), min_size=1, max_size=6, unique=True))
    rows = [{field: draw(TABLE_COLUMNS[field][3]) for field in fields} for _ in range(draw(st.integers(0, 3)))]
    return fields, rows


def _render_table_cell(field: str, value: str, last: bool) -> str:
    """vzlist's printf: cut a middle string column (only the first item of ip), pad to the width."""
    align, width, cut, _values = TABLE_COLUMNS[field]
    if not last and field == "ip":
        value = value.split(" ", 1)[0]
    if not last and cut:
        value = value[:cut]
    return value.ljust(width) if align == "left" else value.rjust(width)


def _expected_cell(field: str, value: str, last: bool) -> str | None:
    cut = TABLE_COLUMNS[field][2]
    if not last and field == "ip":
        value = value.split(" ", 1)[0]
    if not last and cut:
        value = value[:cut]
    value = value.strip()
    return None if value == "-" else value


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vzlist_table(), st.booleans())
def test_vzlist_table_round_trip(table: tuple[list[str], list[dict[str, str]]], header: bool) -> None:
    fields, rows = table
    last = len(fields) - 1
    lines = [" ".join(_render_table_cell(f, row[f], i == last) for i, f in enumerate(fields)).rstrip() for row in rows]
    # vzlist prints "-" for a missing value; an empty string in the last column would leave the row short.
    assume(all(row[fields[last]].strip() for row in rows))
    if header:
        lines.insert(0, " ".join(TABLE_HEADERS[f] for f in fields))
    expected = [{f: _expected_cell(f, row[f], i == last) for i, f in enumerate(fields)} for row in rows]
    if header:
        assume(not any(line.split() == lines[0].split() for line in lines[1:]))
    assert parse_vzlist_table("\n".join(lines) + "\n", fields) == expected


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2147483644), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_vzctl_status_lines_round_trip(ctid: int, exists: bool, mounted: bool, running: bool, suspended: bool) -> None:
    suspended = suspended and exists and not running
    line = (
        f"CTID {ctid} {'exist' if exists else 'deleted'} {'mounted' if mounted else 'unmounted'} "
        f"{'running' if running else 'down'}{' suspended' if suspended else ''}\n"
    )
    status = parse_vzctl_status(line)
    assert (status.ctid, status.exists, status.mounted, status.running, status.suspended) == (
        ctid,
        exists,
        mounted,
        running,
        suspended,
    )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(1, 2147483644), st.integers(8, 500000), max_size=6), st.integers(8, 500000))
def test_vzcpucheck_verbose_round_trip(units: dict[int, int], host: int) -> None:
    text = "VEID\t\tCPUUNITS\n" + "-" * 25 + f"\n0\t\t{host}\n"
    text += "".join(f"{ctid}\t\t{value}\n" for ctid, value in units.items())
    total = host + sum(units.values())
    text += f"Current CPU utilization: {total}\nPower of the node: 479992\n"
    check = parse_vzcpucheck(text)
    assert dict(check.units) == {0: host, **units} and check.utilization == total and check.power == 479992


kib = st.integers(0, 2**63 - 1)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kib, kib, kib, kib, kib, kib)
def test_vzquota_stat_round_trip_of_the_simulated_table(
    blocks: int, blocks_soft: int, blocks_hard: int, inodes: int, inodes_soft: int, inodes_hard: int
) -> None:
    from vztui.sim.kernel.model import DiskFigures
    from vztui.sim.tools.vzquota import render

    text = render(DiskFigures(blocks, blocks_soft, blocks_hard, inodes, inodes_soft, inodes_hard))
    usage = parse_vzquota_stat(text, ctid=7)
    assert (usage.ctid, usage.ugid) == (7, None)
    assert (usage.blocks.usage, usage.blocks.softlimit, usage.blocks.hardlimit) == (blocks, blocks_soft, blocks_hard)
    assert (usage.inodes.usage, usage.inodes.softlimit, usage.inodes.hardlimit) == (inodes, inodes_soft, inodes_hard)
    assert usage.blocks.over == (0 < blocks_soft < blocks or 0 < blocks_hard < blocks)  # vzquota: 0 is no limit


percent = st.floats(0, 99999, allow_nan=False).map(lambda value: round(value, 2))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.integers(1, 2147483644), st.lists(percent, min_size=8, max_size=8), max_size=5),
    st.lists(percent, min_size=8, max_size=8),
)
def test_vzmemcheck_verbose_round_trip(rows: dict[int, list[float]], summary: list[float]) -> None:
    """The -v layout of REFERENCE §6.3: %-10d then eight %7.2f, 74 dashes, then Summary."""
    text = "Output values in %\n"
    text += "CTID        LowMem  LowMem     RAM MemSwap MemSwap   Alloc   Alloc   Alloc\n"
    text += "              util  commit    util    util  commit    util  commit   limit\n"
    text += "".join(f"{ctid:<10d} " + " ".join(f"{v:7.2f}" for v in values) + "\n" for ctid, values in rows.items())
    text += "-" * 74 + "\nSummary:   " + " ".join(f"{v:7.2f}" for v in summary) + "\n"
    check = parse_vzmemcheck(text)
    assert {ctid: list(astuple(row)) for ctid, row in check.rows.items()} == rows
    assert list(astuple(check.summary)) == summary and check.mem_commit_percent == summary[4]


uuid = st.uuids().map(lambda u: "{" + str(u) + "}")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(uuid, st.from_regex(r"[A-Za-z0-9 _.-]{0,40}", fullmatch=True)), max_size=4, unique_by=lambda t: t[0]
    )
)
def test_snapshot_list_round_trip(snapshots: list[tuple[str, str]]) -> None:
    """Rendered as vzctl does: %-38s %1s %-38s %-19s and the name bare; a chain, the last one current."""
    lines = [f"{'PARENT_UUID':<38} {'C':<1} {'UUID':<38} {'DATE':<19} NAME"]
    parent = ""
    for index, (guid, name) in enumerate(snapshots):
        current = "*" if index == len(snapshots) - 1 else ""
        lines.append(f"{parent:<38} {current:<1} {guid:<38} {'2026-12-05 10:00:00':<19} {name}")
        parent = guid
    parsed = parse_snapshot_list("\n".join(lines) + "\n")
    assert [(s.uuid, s.name, s.current) for s in parsed] == [
        (guid, name.strip(), index == len(snapshots) - 1) for index, (guid, name) in enumerate(snapshots)
    ]
    assert [s.parent_uuid for s in parsed] == ["", *[guid for guid, _ in snapshots]][: len(snapshots)]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40), st.integers(0, 2147483644))
def test_expand_veid_never_leaves_the_first_veid(path: str, ctid: int) -> None:
    result = expand_veid(path, ctid)
    if "$VEID" in path.rstrip("/"):
        assert result.count("$VEID") == path.rstrip("/").count("$VEID") - 1
    elif "${VEID}" not in path.rstrip("/"):
        assert result == (path.rstrip("/") or path[:1])


# -- garbage -----------------------------------------------------------------------------------------------------

PARSERS: dict[str, Callable[[str], object]] = {
    "vzlist_json": parse_vzlist_json,
    "vzlist_table": lambda text: parse_vzlist_table(text, ["ctid", "numproc", "status", "ip", "hostname"]),
    "conf": parse_conf,
    "vzconf": parse_vzconf,
    "vzctl_status": parse_vzctl_status,
    "snapshot_list": parse_snapshot_list,
    "vzquota": parse_vzquota_stat,
    "vzmemcheck": parse_vzmemcheck,
    "vzcpucheck": parse_vzcpucheck,
    "vzcalc": parse_vzcalc,
    "templates": parse_template_list,
}

# Pieces of the real formats, so that garbage often gets past the first line of each reader.
FRAGMENTS = [
    "[",
    "]",
    "[]",
    "\n  {",
    "\n  }",
    '\n    "ctid": 101,',
    '\n    "hostname": "a"b",',
    '\n    "ip": ["1", "2"]',
    '\n    "diskspace": {"usage": 1}',
    '"smart_name": 1.5',
    "CTID 101 exist mounted running\n",
    "CTID x",
    "CTID x" + "9" * 500 + " exist mounted running\n",
    "VEID\t\tCPUUNITS\n",
    "-------------------------\n",
    "0\t\t1000\n",
    "Current CPU utilization: 5\n",
    "Power of the node: 7.5\n",
    "Output values in %\n",
    "CTID        LowMem  LowMem     RAM MemSwap MemSwap   Alloc   Alloc   Alloc\n",
    "Summary:   1 2 3 4 5 6 7 8\n",
    "101 1 2 3 4 5 6 7 8\n",
    "Resource     Current(%)  Promised(%)  Max(%)\n",
    "Memory  n/a 1.0 2.0\n",
    "   resource          usage       softlimit      hardlimit    grace\n",
    "  1k-blocks 5* 6 7\n",
    "inodes 1 2 3 x\n",
    "User/group quota: on,active\n",
    "Ugids: loaded 1, total 2, limit 3\n",
    "PARENT_UUID C UUID DATE NAME\n",
    "{12345678-1234-1234-1234-123456789abc}",
    'KEY="v"\n',
    "KEY='v\n",
    "=\n",
    "#\n",
    "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME\n",
    "       101         15 running   192.168.0.101   stud1\n",
    "\n",
    " ",
    "\\",
    "\x00",
    "9" * 400,
    "9" * 5000,  # beyond int()'s 4300-digit limit: a ValueError if it reached int() unchecked
    '\n    "ctid": ' + "9" * 5000,
]
garbage = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=garbage)
def test_garbage_gives_a_result_or_parse_error_only(name: str, text: str) -> None:
    try:
        PARSERS[name](text)
    except ParseError as exc:
        assert exc.line >= 0 and exc.message and len(exc.message) < 400


def test_deeply_nested_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_vzlist_json("[" * 100000 + "]" * 100000)
