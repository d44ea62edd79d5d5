"""vzctl's own machine-readable outputs: the ``vzctl status`` line and the ``vzctl snapshot-list`` table."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from vztui.openvz.errors import ParseError
from vztui.openvz.models import PloopSnapshot, VzctlStatus
from vztui.openvz.parsers._excerpt import excerpt

_STATUS_WORDS: Mapping[int, Mapping[str, bool]] = MappingProxyType(
    {
        2: MappingProxyType({"exist": True, "deleted": False}),
        3: MappingProxyType({"mounted": True, "unmounted": False}),
        4: MappingProxyType({"running": True, "down": False, "suspended": False, "paused": False}),
    }
)
_MIN_STATUS_WORDS = 5


def parse_vzctl_status(text: str) -> VzctlStatus:
    """``CTID 101 exist mounted running`` (or ``deleted unmounted down``, ``… down suspended``) → VzctlStatus.

    The status line is found among whatever else stdout holds (a banner, vzctl's ``stat(…)`` warning when it
    reaches stdout): the last line starting with ``CTID`` (or OpenVZ 7's ``VEID``) wins. OpenVZ 7's ``suspended``
    or ``paused`` in the fifth word is read as "not running, suspended".
    """
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        words = lines[index].split()
        if words and words[0] in ("CTID", "VEID"):
            return _status_line(words, index + 1)
    if not text.strip():
        raise ParseError("empty output (expected 'CTID <id> exist|deleted …')", 0, source="vzctl status")
    raise ParseError("no 'CTID <id> …' status line", 1, source="vzctl status")


def _status_line(words: list[str], number: int) -> VzctlStatus:
    source = "vzctl status"
    if len(words) < _MIN_STATUS_WORDS or len(words) > _MIN_STATUS_WORDS + 1:
        raise ParseError(
            f"expected 'CTID <id> exist|deleted mounted|unmounted running|down', got {excerpt(' '.join(words))}",
            number,
            source=source,
        )
    if not (words[1].isascii() and words[1].isdigit() and len(words[1]) <= 10):
        raise ParseError(f"CTID {excerpt(words[1])} is not a number", number, source=source)
    flags: list[bool] = []
    for position in (2, 3, 4):
        allowed = _STATUS_WORDS[position]
        if words[position] not in allowed:
            raise ParseError(
                f"unexpected word {excerpt(words[position])} (expected {'/'.join(allowed)})", number, source=source
            )
        flags.append(allowed[words[position]])
    suspended = words[4] in ("suspended", "paused")
    if len(words) == _MIN_STATUS_WORDS + 1:
        if words[5] != "suspended":
            raise ParseError(f"unexpected word {excerpt(words[5])} (expected suspended)", number, source=source)
        suspended = True
    return VzctlStatus(ctid=int(words[1]), exists=flags[0], mounted=flags[1], running=flags[2], suspended=suspended)


# -- snapshot-list ------------------------------------------------------------------------------------------------

_SNAPSHOT_COLUMNS: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "UUID": ("uuid", 38),
        "PARENT_UUID": ("parent_uuid", 38),
        "C": ("current", 1),
        "DATE": ("date", 19),
        "NAME": ("name", 32),
        "DESC": ("desc", 32),
        "DEVICE": ("device", 16),
        "TARGET": ("target", 32),
    }
)
_DEFAULT_HEADER = ("PARENT_UUID", "C", "UUID", "DATE", "NAME")


def parse_snapshot_list(text: str) -> list[PloopSnapshot]:
    """``vzctl snapshot-list CTID [-H] [-o fields]`` → snapshots in the order listed.

    Columns are fixed width and joined by one space, the last one unpadded (REFERENCE §2.9), and values may be
    empty (the base snapshot has no parent) or hold spaces (date, name), so rows are cut by position: where the
    header's words start (the header is padded with the same widths), or, without a header (``-H``), by vzctl's
    widths for the default columns ``PARENT_UUID C UUID DATE NAME``. Lines before the header are skipped. Only a
    header means no snapshots.
    """
    lines = text.split("\n")
    columns: tuple[str, ...] = _DEFAULT_HEADER
    starts = _default_starts(columns)
    first = 0
    for index, line in enumerate(lines):
        words = tuple(line.split())
        if words and all(word in _SNAPSHOT_COLUMNS for word in words) and ("UUID" in words or "NAME" in words):
            columns, starts, first = words, _header_starts(line, words), index + 1
            break
    if "UUID" not in columns:
        raise ParseError("snapshot-list without a UUID column cannot be read", first, source="vzctl snapshot-list")
    snapshots: list[PloopSnapshot] = []
    for index in range(first, len(lines)):
        line = lines[index].rstrip("\r")
        if not line.strip():
            continue
        snapshots.append(_snapshot_row(line, columns, starts, index + 1))
    return snapshots


def _default_starts(columns: tuple[str, ...]) -> list[int]:
    starts = [0]
    for column in columns[:-1]:
        starts.append(starts[-1] + _SNAPSHOT_COLUMNS[column][1] + 1)
    return starts


def _header_starts(header: str, words: tuple[str, ...]) -> list[int]:
    starts: list[int] = []
    position = 0
    for word in words:
        position = header.index(word, position)
        starts.append(position)
        position += len(word)
    return starts


def _snapshot_row(line: str, columns: tuple[str, ...], starts: list[int], number: int) -> PloopSnapshot:
    cells: dict[str, str] = {}
    for column_index, column in enumerate(columns):
        end = starts[column_index + 1] if column_index + 1 < len(columns) else len(line)
        cells[_SNAPSHOT_COLUMNS[column][0]] = line[starts[column_index] : end].strip()
    uuid = cells.get("uuid", "")
    if not _looks_like_uuid(uuid):
        raise ParseError(
            f"not a snapshot row (UUID {excerpt(uuid)}): {excerpt(line)}", number, source="vzctl snapshot-list"
        )
    parent = cells.get("parent_uuid", "")
    if parent and not _looks_like_uuid(parent):
        raise ParseError(f"bad parent UUID {excerpt(parent)}", number, source="vzctl snapshot-list")
    current = cells.get("current", "")
    if current not in ("", "*"):
        raise ParseError(
            f"current flag must be '*' or blank, got {excerpt(current)}", number, source="vzctl snapshot-list"
        )
    return PloopSnapshot(
        uuid=uuid,
        parent_uuid=parent,
        current=current == "*",
        date=cells.get("date", ""),
        name=cells.get("name", ""),
        description=cells.get("desc", ""),
    )


def _looks_like_uuid(text: str) -> bool:
    """``{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`` as ploop writes it (braces optional)."""
    bare = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    parts = bare.split("-")
    return [len(part) for part in parts] == [8, 4, 4, 4, 12] and all(
        char in "0123456789abcdefABCDEF" for part in parts for char in part
    )
