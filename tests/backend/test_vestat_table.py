"""The engine's compact vestat: read from the kernel's layout, equal to what the strict parser reads, and the
strict parser's verdict (and error) for anything else."""

from __future__ import annotations

from array import array

import pytest

from vztui.backend.assemble import _parse_vestat
from vztui.backend.vestat import VeStatTable, jiffies, read_vestat
from vztui.openvz.errors import ParseError
from vztui.openvz.models import VeStat
from vztui.openvz.parsers import parse_vestat

HEADER = (
    "Version: 2.2\n"
    "                VEID                 user                 nice               system               uptime"
    "                 idle                 strv               uptime                 used               maxlat"
    "               totlat             numsched\n"
)


def _row(ctid: int, base: int) -> str:
    return f"{ctid:>20}" + "".join(f" {base + column:>20}" for column in range(11)) + "\n"


KERNEL = HEADER + _row(101, 1000) + _row(102, 2000) + _row(4000000000, 18446744073709551600)


def test_the_kernels_layout_is_read_into_a_table_equal_to_the_strict_parse() -> None:
    table = read_vestat(KERNEL)
    assert isinstance(table, VeStatTable)
    parsed = parse_vestat(KERNEL)
    assert table == parsed and parsed == table
    assert list(table) == [101, 102, 4000000000]
    assert table[102] == VeStat(102, *range(2000, 2011))
    assert 101 in table and 103 not in table and table.get(103) is None
    assert table.busy() == [s.busy_jiffies for s in parsed.values()]
    assert list(table.uptimes()) == [s.uptime_jiffies for s in parsed.values()]


def test_blank_lines_and_a_last_row_without_newline_read_as_the_parser_reads_them() -> None:
    text = HEADER + _row(101, 5) + "\n   \n" + _row(102, 7).rstrip("\n")
    table = read_vestat(text)
    assert table is not None and table == parse_vestat(text)


@pytest.mark.parametrize(
    "text",
    [
        HEADER + _row(101, 1) + _row(101, 2),  # a CT twice
        HEADER + _row(101, 1).replace(" 1 ", " -1 ", 1),  # a sign
        HEADER + _row(101, 1)[:-25] + "\n",  # a row cut short
        HEADER + _row(101, 1).rstrip("\n") + " 99\n",  # a newer kernel's extra column: the header differs too
        HEADER + _row(101, 18446744073709551610),  # beyond 64 bits
        HEADER.replace("Version: 2.2", "Version 2.2") + _row(101, 1),
        HEADER + _row(101, 1).replace("101", "1O1"),
        "",
    ],
)
def test_anything_else_is_left_to_the_strict_parser(text: str) -> None:
    assert read_vestat(text) is None


def test_the_assembler_keeps_the_strict_parsers_errors_and_its_extra_columns() -> None:
    with pytest.raises(ParseError, match="listed twice"):
        _parse_vestat(HEADER + _row(101, 1) + _row(101, 2))
    wider = HEADER.rstrip("\n") + "               newcol\n" + _row(101, 1).rstrip("\n") + " 99\n"
    table = _parse_vestat(wider)
    assert isinstance(table, VeStatTable) and table == parse_vestat(wider)


def test_jiffies_reads_tables_and_plain_mappings_alike() -> None:
    table = read_vestat(KERNEL)
    assert table is not None
    ids, busy, uptimes = jiffies(table)
    plain_ids, plain_busy, plain_uptimes = jiffies(parse_vestat(KERNEL))
    assert list(ids) == plain_ids and list(busy) == plain_busy and list(uptimes) == plain_uptimes


def test_a_table_needs_eleven_values_a_row() -> None:
    with pytest.raises(ValueError, match="11 values"):
        VeStatTable(array("q", [101]), array("Q", [1] * 10))


def _stat(ctid: int, busy: int, uptime: int) -> VeStat:
    return VeStat(ctid, busy, 0, 0, uptime, 0, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("reordered", [False, True])
def test_cpu_percent_pairs_each_ct_with_its_own_previous_row(reordered: bool) -> None:
    from types import MappingProxyType

    from vztui.backend.assemble import _cpu_percent
    from vztui.backend.snapshot import NodeHealth, NodeSnapshot
    from vztui.openvz.models import Container, CtStatus

    before = {101: _stat(101, 100, 1000), 102: _stat(102, 500, 1000), 103: _stat(103, 0, 1000)}
    now_rows = [_stat(101, 150, 1100), _stat(102, 600, 1100), _stat(104, 10, 100)]
    if reordered:
        now_rows.reverse()
    now = VeStatTable.from_stats({s.ctid: s for s in now_rows})
    prev = NodeSnapshot(node="hn1", taken_at=1.0, health=NodeHealth.UP, vestat=MappingProxyType(before))
    containers = {ctid: Container(ctid=ctid, status=CtStatus.RUNNING) for ctid in (101, 102, 104)}
    assert dict(_cpu_percent(prev, now, containers)) == {101: 50.0, 102: 100.0}
    prev_table = NodeSnapshot(node="hn1", taken_at=1.0, health=NodeHealth.UP, vestat=VeStatTable.from_stats(before))
    assert dict(_cpu_percent(prev_table, now, containers)) == {101: 50.0, 102: 100.0}


def test_cpu_percent_and_start_times_are_keyed_by_the_containers_own_ctid_objects() -> None:
    """One int object per CT shared by the container table, CPU % and start times (not one more per mapping)."""
    from vztui.backend.assemble import _cpu_percent, _started_at
    from vztui.backend.snapshot import NodeHealth, NodeSnapshot
    from vztui.openvz.models import Container, CtStatus

    ctid = int("1000001")  # above the small-int cache: every int(...) is a new object
    container = Container(ctid=ctid, status=CtStatus.RUNNING)
    containers = {container.ctid: container}
    before = VeStatTable.from_stats({ctid: _stat(ctid, 100, 1000)})
    now = VeStatTable.from_stats({ctid: _stat(ctid, 150, 1100)})
    prev = NodeSnapshot(node="hn1", taken_at=1.0, health=NodeHealth.UP, vestat=before)
    percent = _cpu_percent(prev, now, containers)
    started = _started_at(prev, now, 2000.0, containers)
    assert dict(percent) == {ctid: 50.0} and dict(started) == {ctid: 1999}  # round(2000 - 1100 / 1000)
    assert next(iter(percent)) is container.ctid
    assert next(iter(started)) is container.ctid
