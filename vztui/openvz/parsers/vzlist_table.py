"""vzlist's plain table (``vzlist [-H] -o f1,f2,…``) cut back into columns.

vzlist prints every column with its own printf width and joins them with one space (REFERENCE §3.2, §3.3). A
middle string column may hold spaces (a description cut to 32 characters) and a number may be wider than its
column (``9223372036854775807`` in a 10-wide UBC column), so neither fixed positions nor whitespace splitting
alone reads every row: each cell is taken at its width when it fits, and up to the next space when it overflows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from vztui.openvz.errors import ParseError
from vztui.openvz.parsers._excerpt import excerpt
from vztui.openvz.resources import RESOURCES

SOURCE = "vzlist"
DASH = "-"
"""What vzlist prints for "no value"."""

_COLUMNS: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "ctid": ("CTID", 10),
        "veid": ("CTID", 10),
        "vpsid": ("CTID", 10),
        "private": ("PRIVATE", 32),
        "root": ("ROOT", 32),
        "mount_opts": ("MOUNT_OPTS", 16),
        "origin_sample": ("ORIGIN_SAMPLE", 32),
        "hostname": ("HOSTNAME", 32),
        "name": ("NAME", 32),
        "smart_name": ("SMARTNAME", 10),
        "description": ("DESCRIPTION", 32),
        "ostemplate": ("OSTEMPLATE", 32),
        "ip": ("IP_ADDR", 15),
        "nameserver": ("NAMESERVER", 15),
        "searchdomain": ("SEARCHDOMAIN", 15),
        "status": ("STATUS", 9),
        "diskspace": ("DSPACE", 10),
        "diskinodes": ("DINODES", 10),
        "laverage": ("LAVERAGE", 14),
        "uptime": ("UPTIME", 15),
        "cpulimit": ("CPULIM", 7),
        "cpuunits": ("CPUUNI", 7),
        "cpus": ("CPUS", 5),
        "ioprio": ("IOP", 3),
        "iolimit": ("IOLIMIT", 10),
        "iopslimit": ("IOPS", 4),
        "onboot": ("ONBOOT", 6),
        "bootorder": ("BOOTORDER", 10),
        "layout": ("LAYOUT", 6),
        "features": ("FEATURES", 15),
        "vswap": ("VSWAP", 5),
        "disabled": ("DISABL", 6),
        "vm_overcommit": ("VM_OVC", 6),
        "netfilter": ("NETFILTER", 9),
        "capability": ("CAPABILITY", 15),
        **{name: (spec.header, 10) for name, spec in RESOURCES.items()},
    }
)
"""field → (header, printf width) from vzlist's field table (REFERENCE §3.3); suffixed fields (``.m``, ``.h``
…) share their base field's column. Unknown fields are read as one whitespace-separated word."""


def parse_vzlist_table(text: str, fields: Sequence[str]) -> list[dict[str, str | None]]:
    """``vzlist [-H] -o f1,f2,…`` (or the default ``ctid,numproc,status,ip,hostname``) → one dict per row.

    Returns ``{field: value}`` with values as printed, stripped (the caller knows each field's type: ``laverage``
    is ``a/b/c``, ``uptime`` ``012d03h:04m:05s``, UBC values raw numbers), and ``None`` where vzlist printed ``-``.
    The last column takes the rest of the line, so ``ip`` printed last keeps every address. Blank lines are
    skipped; so are a header line (when ``-H`` was not given) and any banner line before it. Without a header a
    banner cannot be told from a row and raises ParseError, as does a row too short for the fields. Output of
    ``-t`` (no trimming) is read word by word, which is exact unless a middle column holds spaces.
    """
    wanted = [field.strip().lower() for field in fields]
    if not wanted or any(not field for field in wanted):
        raise ParseError("no field names given", 0, source=SOURCE)
    columns = [_column(field) for field in wanted]
    lines = text.split("\n")
    rows: list[dict[str, str | None]] = []
    for index in range(_first_row(lines, columns), len(lines)):
        line = lines[index].rstrip()
        if not line.strip():
            continue
        cells = _cut(line, columns)
        if cells is None:
            raise ParseError(
                f"expected {len(wanted)} columns ({','.join(wanted)}): {excerpt(line)}", index + 1, source=SOURCE
            )
        rows.append({field: None if cell == DASH else cell for field, cell in zip(wanted, cells, strict=True)})
    return rows


def _column(field: str) -> tuple[str, int]:
    """(header, width) of a field; ``kmemsize.m`` → ``KMEMSIZE.M`` in kmemsize's column; width 0 if unknown."""
    base, dot, suffix = field.partition(".")
    header, width = _COLUMNS.get(base, (base.upper(), 0))
    return (header + (dot + suffix.upper() if dot else ""), width)


def _first_row(lines: list[str], columns: list[tuple[str, int]]) -> int:
    """Index of the first data line: the line after the header, when there is one; else 0."""
    headers = [header for header, _width in columns]
    for index, line in enumerate(lines):
        if line.split() == headers:
            return index + 1
    return 0


def _cut(line: str, columns: list[tuple[str, int]]) -> list[str] | None:
    """The cells of one row, or None when the row ends before the last column."""
    cells: list[str] = []
    position = 0
    length = len(line)
    last = len(columns) - 1
    for number, (_header, width) in enumerate(columns):
        if position >= length:
            return None
        if number == last:
            cells.append(line[position:].strip())
            break
        end = position + width
        if width and (end == length or (end < length and line[end] == " ")):
            cells.append(line[position:end].strip())
            position = end + 1
            continue
        # Wider than its column (a big number, or -t): the cell runs to the next space.
        start = position
        while start < length and line[start] == " ":
            start += 1
        stop = line.find(" ", start)
        if stop < 0:
            return None
        cells.append(line[start:stop])
        position = stop + 1
    return cells
