"""Readers of the kernel's beancounter tables: /proc/user_beancounters, /proc/bc/resources and /proc/bc/<id>/resources.

Rows are split on whitespace, never cut at column positions: the 64-bit layout prints ``%20lu`` columns, the 32-bit
and 2.6.18 layouts ``%10lu``, and a value wider than its column (LONG_MAX in a 10-wide column, 2^64-1 in a 20-wide
one) pushes the rest of the row right. The kernel always prints a literal space between columns, so whitespace
splitting is exact for every layout. Values are kept as the kernel's raw integers (``unlimited`` stays
9223372036854775807 or 2147483647); ``vztui.openvz.units`` interprets them.

Tolerated: trailing blanks, CRLF line ends, a missing final newline, blank lines. A truncated last row (the read
was cut off mid-line) raises ParseError, as does anything else a kernel cannot have printed. A cut that falls
between two digits of the very last number cannot be seen in the text; the poller knows a read was cut short from
its section's missing exit status instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Final

from vztui.openvz.errors import ParseError
from vztui.openvz.models import Beancounter
from vztui.openvz.parsers._kernelfile import collector_paused, excerpt, plain_numbers, u64
from vztui.openvz.resources import DUMMY

HEADER: Final = ("uid", "resource", "held", "maxheld", "barrier", "limit", "failcnt")
"""The column names of the header line, in both layouts."""

_COLUMNS: Final = HEADER[2:]
_MISS: Final = Beancounter("", -1, -1, -1, -1, -1)
"""Cache sentinel: "this row text was not seen yet" (None means "seen, and it is a dummy row")."""

Blocks = dict[int, dict[str, Beancounter]]

_FIELDS: Final = ("resource", *_COLUMNS)
_QUICK_NEW: Final = tuple(field.name for field in dataclasses.fields(Beancounter)) == _FIELDS
"""Whether rows may be built by filling Beancounter's slots directly, as ``backend.assemble`` copies Containers: about
twice as fast per row as the frozen ``__init__``. Only while its fields are exactly these six; a new field switches
the parser back to ``__init__`` rather than leave it unset."""


def _slot_setter(name: str) -> Callable[[Beancounter, object], None]:
    if not _QUICK_NEW:
        return _unreachable
    setter: Callable[[Beancounter, object], None] = getattr(Beancounter, name).__set__
    return setter


def _unreachable(_row: Beancounter, _value: object) -> None:
    raise AssertionError("slot setters are only used while Beancounter has exactly its six fields")


_SLOT_SETTERS: Final = tuple(_slot_setter(name) for name in _FIELDS)


def parse_user_beancounters(text: str) -> Blocks:
    """/proc/user_beancounters → {ctid: {resource: Beancounter}}; the host is block 0, ``dummy`` rows are dropped.

    Blocks keep the kernel's order (not sorted). Inside a CT the file holds only that CT's block.
    """
    source = "/proc/user_beancounters"
    lines = text.split("\n")
    _check_head(lines, source)
    blocks: Blocks = {}
    _read_rows(lines, 2, blocks, None, source, plain=plain_numbers(text))
    return blocks


def parse_bc_resources(text: str, *, ctid: int | None = None) -> Blocks:
    """/proc/bc/resources → {ctid: {resource: Beancounter}}: like user_beancounters, plus ``swappages``.

    Also reads one beancounter's /proc/bc/<id>/resources, recognised by its missing ``Version:`` line (that file
    has no header and a blank uid column). The id is not in that file, so the caller names it with ``ctid``;
    without it such text raises ParseError. For a whole /proc/bc/resources file ``ctid`` is not used.
    """
    source = "/proc/bc/resources"
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise ParseError("empty file: expected 'Version: 2.5' and the column header", source=source)
    if first.split()[0] == "Version:":
        _check_head(lines, source)
        blocks: Blocks = {}
        _read_rows(lines, 2, blocks, None, source, plain=plain_numbers(text))
        return blocks
    source = f"/proc/bc/{ctid if ctid is not None else '<id>'}/resources"
    if ctid is None:
        raise ParseError(
            "no 'Version:' line: this looks like one beancounter's /proc/bc/<id>/resources; pass ctid= to read it",
            source=source,
        )
    blocks = {ctid: {}}
    _read_rows(lines, 0, blocks, ctid, source, plain=plain_numbers(text))
    return blocks


def _check_head(lines: list[str], source: str) -> None:
    """Line 1 ``Version: N.N``, line 2 the column header (either layout)."""
    version = lines[0].split() if lines else []
    if not version or version[0] != "Version:" or len(version) != 2 or not _is_version(version[1]):
        what = excerpt(lines[0]) if lines and lines[0].strip() else "an empty file"
        raise ParseError(f"expected 'Version: 2.5', got {what}", 1, source=source)
    if len(lines) < 2 or tuple(lines[1].split()) != HEADER:
        got = excerpt(lines[1]) if len(lines) > 1 else "end of file"
        raise ParseError(f"expected the column header ({' '.join(HEADER)}), got {got}", 2, source=source)


def _is_version(text: str) -> bool:
    major, dot, minor = text.partition(".")
    return bool(dot) and major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()


def _read_rows(lines: list[str], start: int, blocks: Blocks, ctid: int | None, source: str, *, plain: bool) -> None:
    """Fill ``blocks`` from ``lines[start:]``; ``ctid`` pre-opens a block for uid-less (per-beancounter) files.

    This loop is the poller's hot path (10,000 CTs x 24 rows per tick), so the common row is read inline and
    everything unusual (a block's first row, dummies, anything odd) goes through ``_Careful``. Rows after a block's
    first are cached by their exact text: identical rows (idle resources, unlimited rows with equal held values)
    recur across thousands of CTs and share one immutable Beancounter. The cyclic garbage collector is paused
    meanwhile: it would otherwise re-scan the whole heap several times while ~200,000 new objects appear.
    """
    careful = _Careful(lines, blocks, ctid, source)
    current = careful.current
    orphan = careful.orphan
    cache = careful.cache
    seen = cache.get
    quick = _QUICK_NEW
    new = object.__new__
    set_resource, set_held, set_maxheld, set_barrier, set_limit, set_failcnt = _SLOT_SETTERS
    with collector_paused():
        for index in range(start, len(lines)):
            line = lines[index]
            hit = seen(line, _MISS)
            if hit is not _MISS:
                if hit is not None:
                    if hit.resource in current:
                        raise _duplicate(hit.resource, index + 1, source)
                    current[hit.resource] = hit
                continue
            parts = line.split()
            if plain and len(parts) == 6 and current is not orphan and parts[0] != DUMMY and parts[0][-1] != ":":
                name, held, maxheld, barrier, limit, failcnt = parts
                try:
                    h, m, b, lim, f = int(held), int(maxheld), int(barrier), int(limit), int(failcnt)
                except ValueError:
                    pass  # not a number: the careful path names the column
                else:
                    if not (h | m | b | lim | f) >> 64 and name not in current:  # >> 64: negative or over 64 bits
                        if quick:
                            row = new(Beancounter)
                            set_resource(row, name)
                            set_held(row, h)
                            set_maxheld(row, m)
                            set_barrier(row, b)
                            set_limit(row, lim)
                            set_failcnt(row, f)
                        else:
                            row = Beancounter(name, h, m, b, lim, f)
                        current[name] = cache[line] = row
                        continue
            if parts:
                current = careful.row(parts, line, index, current)


class _Careful:
    """The slow, strict half of ``_read_rows``: block starts, dummies and every error message."""

    def __init__(self, lines: list[str], blocks: Blocks, ctid: int | None, source: str) -> None:
        self.lines = lines
        self.blocks = blocks
        self.ctid = ctid
        self.source = source
        self.orphan: dict[str, Beancounter] = {}
        """The "block" rows land in before any ``<uid>:`` row: reaching it is an error."""
        self.current = blocks[ctid] if ctid is not None else self.orphan
        self.cache: dict[str, Beancounter | None] = {}

    def row(self, parts: list[str], line: str, index: int, current: dict[str, Beancounter]) -> dict[str, Beancounter]:
        """Read one row strictly (ParseError with its line number); return the block the next row belongs to."""
        number, source = index + 1, self.source
        first_row = parts[0][-1] == ":"
        if first_row:
            if self.ctid is not None:
                raise ParseError(f"a uid column in a single-beancounter file: {excerpt(line)}", number, source=source)
            block_id = _uid(parts[0], number, source)
            if block_id in self.blocks:
                raise ParseError(f"block {block_id}: appears twice", number, source=source)
            current = self.blocks[block_id] = {}
            del parts[0]
        elif current is self.orphan:
            raise ParseError(f"a row before the first '<uid>:' row: {excerpt(line)}", number, source=source)
        if len(parts) != 6:
            cut = index == len(self.lines) - 1
            what = "the file ends in the middle of a row" if cut else "expected a resource and 5 numbers"
            raise ParseError(f"{what}: {excerpt(line)}", number, source=source)
        name = parts[0]
        held, maxheld, barrier, limit, failcnt = (
            u64(token, number, source, f"{name} {column}") for token, column in zip(parts[1:], _COLUMNS, strict=True)
        )
        row = Beancounter(name, held, maxheld, barrier, limit, failcnt) if name != DUMMY else None
        if row is not None:
            if name in current:
                raise _duplicate(name, number, source)
            current[name] = row
        if not first_row:
            self.cache[line] = row
        return current


def _uid(token: str, number: int, source: str) -> int:
    digits = token[:-1]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
        raise ParseError(f"expected '<uid>:' at the start of a block, got {excerpt(token)}", number, source=source)
    return int(digits)


def _duplicate(resource: str, number: int, source: str) -> ParseError:
    return ParseError(f"resource {excerpt(resource)} appears twice in one block", number, source=source)
