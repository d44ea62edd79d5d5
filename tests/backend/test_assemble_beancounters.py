"""The assembler's compact beancounter reader: the same figures as the strict parser for every block it accepts,
and every block it cannot read exactly handed to the strict parser (so errors still name the line)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping

import pytest

from tests.samples import SAMPLES
from vztui.backend.assemble import SnapshotAssembler
from vztui.backend.batch import Section
from vztui.backend.delta import compute_delta, near_limits_of
from vztui.backend.history import History
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.openvz.errors import ParseError
from vztui.openvz.models import Beancounter, BeancounterTable, Container, CtStatus
from vztui.openvz.parsers import parse_bc_resources, parse_user_beancounters

HEAD = (
    "Version: 2.5\n"
    "       uid  resource                     held              maxheld              barrier                limit"
    "              failcnt\n"
)


def _row(name: str, *numbers: int, uid: str = "") -> str:
    return f"{uid:>10}  {name:<12}" + "".join(f" {n:>20}" for n in numbers) + "\n"


def _block(ctid: int, held: int = 100, failcnt: int = 0) -> str:
    return (
        _row("kmemsize", held, 200, 9223372036854775807, 9223372036854775807, 0, uid=f"{ctid}:")
        + _row("dummy", 0, 0, 0, 0, 0)
        + _row("numproc", 10, 20, 100, 100, failcnt)
        + _row("physpages", 900, 950, 0, 1000, 0)
    )


def _read(
    assembler: SnapshotAssembler, text: str, source: str = "bc_resources"
) -> dict[int, Mapping[str, Beancounter]]:
    section = Section("beancounters", f"source {source}\n{text}", 0)
    return dict(assembler._parse_beancounters(section))


@pytest.mark.parametrize(
    ("sample", "source", "parse"),
    [
        ("user_beancounters__ct0_hardware-node.txt", "user_beancounters", parse_user_beancounters),
        ("proc_bc_resources__3cts_32bit_virtuozzo.txt", "bc_resources", parse_bc_resources),
    ],
)
def test_real_samples_read_the_same_as_the_strict_parser(
    sample: str, source: str, parse: Callable[[str], Mapping[int, Mapping[str, Beancounter]]]
) -> None:
    text = (SAMPLES / sample).read_text()
    got = _read(SnapshotAssembler("hn1"), text, source)
    expected = parse(text)
    assert {ctid: dict(table) for ctid, table in got.items()} == {ctid: dict(b) for ctid, b in expected.items()}


def test_kernel_shaped_blocks_become_compact_tables_without_dummy_rows() -> None:
    got = _read(SnapshotAssembler("hn1"), HEAD + _block(101) + _block(102, held=7))
    table = got[101]
    assert isinstance(table, BeancounterTable)
    assert list(table) == ["kmemsize", "numproc", "physpages"]
    assert table["numproc"] == Beancounter("numproc", 10, 20, 100, 100, 0)
    assert got[102]["kmemsize"].held == 7


@pytest.mark.parametrize(
    "broken",
    [
        _row("numproc", 1, 2, 3, 4, 5) + "\n",  # a blank line: tolerated, read by the strict parser
        "            numproc 1 2 3 4 5\n",  # unusual spacing is still one row a line
    ],
)
def test_unusual_but_valid_blocks_still_read(broken: str) -> None:
    text = HEAD + _row("kmemsize", 1, 2, 3, 4, 0, uid="101:") + broken
    got = _read(SnapshotAssembler("hn1"), text)
    assert got[101]["numproc"] == Beancounter("numproc", 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("            numproc 1 2 3 4 5 physpages\n            1 2 3 4 5\n", "expected a resource and 5 numbers"),
        ("            numproc 1 2 +3 4 5\n", "numproc barrier"),
        ("            numproc 1 2 3 4 -5\n", "numproc failcnt"),
        ("            numproc 1 2 3 4 18446744073709551616\n", "larger than any 64-bit counter"),
        ("            numproc 1 2 3 4 5\n            numproc 1 2 3 4 5\n", "appears twice"),
        ("            numproc 1 2 3 4", "the file ends in the middle of a row"),
    ],
)
def test_blocks_the_kernel_cannot_have_printed_reach_the_strict_parser(tail: str, message: str) -> None:
    text = HEAD + _row("kmemsize", 1, 2, 3, 4, 0, uid="101:") + tail
    with pytest.raises(ParseError, match=message):
        _read(SnapshotAssembler("hn1"), text)


def test_a_last_row_without_its_newline_is_still_read() -> None:
    text = HEAD + _block(101) + "            numfile 1 2 3 4 5"
    got = _read(SnapshotAssembler("hn1"), text)
    assert got[101]["numfile"] == Beancounter("numfile", 1, 2, 3, 4, 5)


def test_an_unchanged_block_keeps_its_table_and_a_changed_one_is_reread() -> None:
    assembler = SnapshotAssembler("hn1")
    first = _read(assembler, HEAD + _block(101) + _block(102))
    second = _read(assembler, HEAD + _block(101) + _block(102, held=5))
    assert second[101] is first[101]
    assert second[102] is not first[102]
    assert second[102]["kmemsize"].held == 5


def _snapshot(tables: dict[int, BeancounterTable], taken_at: float) -> NodeSnapshot:
    containers = {
        ctid: Container(ctid=ctid, status=CtStatus.RUNNING, resources=table) for ctid, table in tables.items()
    }
    return NodeSnapshot(node="hn1", taken_at=taken_at, health=NodeHealth.UP, containers=containers)


def _table(held: int, failcnt: int) -> BeancounterTable:
    names = ("numproc", "physpages")
    return BeancounterTable(
        names, {"numproc": 0, "physpages": 1}, array("Q", [held, held, 100, 100, failcnt, 10, 10, 0, 1000, 0])
    )


def test_delta_history_and_near_limits_read_tables_directly() -> None:
    before = _snapshot({101: _table(10, 0)}, 1.0)
    after = _snapshot({101: _table(95, 2)}, 2.0)
    delta = compute_delta(before, after)
    assert delta.changed[101] >= {"resources"}
    assert [(i.resource, i.previous, i.current) for i in delta.failcnt_increases] == [("numproc", 0, 2)]
    assert [(n.resource, round(n.ratio, 2)) for n in near_limits_of("hn1", after.containers[101])] == [
        ("numproc", 0.95)
    ]
    history = History(resources=("numproc",))
    history.record(before)
    history.record(after)
    assert history.get("hn1", 101, "numproc") == [10, 95]
    same = compute_delta(after, _snapshot({101: _table(95, 2)}, 3.0))
    assert 101 not in same.changed


def test_table_is_a_read_only_mapping_equal_to_its_dict() -> None:
    table = _table(5, 1)
    assert table == {"numproc": Beancounter("numproc", 5, 5, 100, 100, 1), "physpages": table["physpages"]}
    assert table.held("physpages") == 10
    assert table.held("kmemsize") is None
    assert "kmemsize" not in table
    assert [bc.failcnt for bc in table.values()] == [1, 0]
    with pytest.raises(KeyError):
        table["kmemsize"]
    with pytest.raises(ValueError, match="need 10 values"):
        BeancounterTable(("a", "b"), {"a": 0, "b": 1}, array("Q", [1, 2, 3]))
