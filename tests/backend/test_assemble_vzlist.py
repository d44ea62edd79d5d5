"""The assembler's vzlist reuse: an object whose only change is its disk usage is copied with the new figures, and
the result is always exactly what parsing the whole output gives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vztui.backend.assemble import SnapshotAssembler
from vztui.backend.batch import Section
from vztui.openvz.errors import ParseError
from vztui.openvz.parsers import parse_vzlist_json


def _ct(ctid: int, space: int, inodes: int, hostname: str = "ct.example.com") -> dict[str, Any]:
    return {
        "ctid": ctid,
        "name": None,
        "hostname": hostname,
        "description": None,
        "ip": ["10.1.0.3"],
        "status": "running",
        "ostemplate": "debian-8.0-x86_64-minimal",
        "layout": "simfs",
        "onboot": True,
        "diskspace": {"usage": space, "softlimit": 20971520, "hardlimit": 23068672},
        "diskinodes": {"usage": inodes, "softlimit": 1310720, "hardlimit": 1441780},
        "vswap": True,
        "disabled": False,
    }


def _read(assembler: SnapshotAssembler, cts: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    text = json.dumps(cts, indent=2)  # vzlist -j's own layout: objects at 2 spaces, fields at 4
    return text, assembler._parse_vzlist(Section("vzlist", text, 0))


def test_disk_usage_only_changes_are_copied_and_equal_a_full_parse() -> None:
    assembler = SnapshotAssembler("hn1")
    _, first = _read(assembler, [_ct(101, 10, 20), _ct(102, 30, 40), _ct(103, 50, 60)])
    text, second = _read(assembler, [_ct(101, 11, 21), _ct(102, 31, 41, hostname="new.example.com"), _ct(103, 50, 60)])
    assert second == list(parse_vzlist_json(text))
    assert second[0].diskspace is not None and second[0].diskspace.usage == 11
    assert second[0].diskinodes is not None and second[0].diskinodes.usage == 21
    assert second[1].hostname == "new.example.com"
    assert second[2] is first[2]


def test_a_usage_that_is_not_an_integer_reaches_the_strict_parser() -> None:
    assembler = SnapshotAssembler("hn1")
    _read(assembler, [_ct(101, 10, 20)])
    cts = [_ct(101, 10, 20)]
    cts[0]["diskspace"]["usage"] = None
    with pytest.raises(ParseError, match="diskspace must be an object of integer usage"):
        _read(assembler, cts)


def test_a_usage_outside_the_plain_digits_is_parsed_whole() -> None:
    assembler = SnapshotAssembler("hn1")
    _read(assembler, [_ct(101, 10, 20)])
    text, got = _read(assembler, [_ct(101, 10, -1)])
    assert got == list(parse_vzlist_json(text))
    assert got[0].diskinodes is not None and got[0].diskinodes.usage == -1


@pytest.mark.parametrize("indent", [None, 4])
def test_several_cts_in_another_writers_layout_are_parsed_whole_not_refused(indent: int | None) -> None:
    """Such text has no ``\\n  },\\n  {`` to split on; it was once taken for one object, and the re-read of that
    "one object" finding three failed the whole vzlist section."""
    assembler = SnapshotAssembler("hn1")
    cts = [_ct(101, 10, 20), _ct(102, 30, 40), _ct(103, 50, 60)]
    text = json.dumps(cts, indent=indent)
    assert assembler._parse_vzlist(Section("vzlist", text, 0)) == list(parse_vzlist_json(text))
