"""/proc/vz/vestat as one node's snapshot keeps it: two flat arrays instead of a VeStat object per running CT.

Why: every snapshot holds the tick's vestat (the next tick needs it for CPU % and start times), and at 10,000
running CTs the parser's ``{ctid: VeStat}`` (one object plus ten int objects a CT) was 4.35 MB of the engine's
resident memory; as a ``VeStatTable`` (one int64 CTID and eleven uint64 values a CT) it is ~1 MB. The kernel's own
layout is also read straight into the arrays (``read_vestat``), which skips building the objects; anything else
goes through the strict domain parser, which names the problem.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence

from vztui.openvz.models import VeStat

_VALUES = 11
"""user, nice, system, uptime, idle, strv, uptime (cycles), used, maxlat, totlat, numsched: VeStat after its ctid."""
_WIDTH = _VALUES + 1
_MAX_CTID_DIGITS = 10
"""As the strict parser allows (VEID_MAX has ten digits)."""
_UPTIME = 3
"""The uptime (jiffies) column among the values."""


class VeStatTable(Mapping[int, VeStat]):
    """``{ctid: VeStat}`` held as ``ctids`` (int64, the file's order) and ``numbers`` (uint64, ``_VALUES`` per row).

    Read as a Mapping, a row's VeStat is built when it is read (the UI never reads vestat; the poller uses
    ``busy``/``uptimes``). Immutable: neither array is written after construction. The CTID → row index a lookup
    needs is built on the first lookup and kept (the poller's own paths never need it).
    """

    __slots__ = ("_rows", "ctids", "numbers")

    def __init__(self, ctids: array[int], numbers: array[int]) -> None:
        if len(numbers) != _VALUES * len(ctids):
            raise ValueError(f"{len(ctids)} vestat rows need {_VALUES * len(ctids)} values, got {len(numbers)}")
        self.ctids = ctids
        self.numbers = numbers
        self._rows: dict[int, int] | None = None

    @classmethod
    def from_stats(cls, stats: Mapping[int, VeStat]) -> VeStatTable:
        """The table of a parsed ``{ctid: VeStat}`` (values the strict parser checked fit: u64 values, 10-digit
        CTIDs)."""
        numbers = array("Q")
        for stat in stats.values():
            numbers.extend(
                (
                    stat.user,
                    stat.nice,
                    stat.system,
                    stat.uptime_jiffies,
                    stat.idle,
                    stat.strv,
                    stat.uptime_cycles,
                    stat.used,
                    stat.maxlat,
                    stat.totlat,
                    stat.numsched,
                )
            )
        return cls(array("q", stats.keys()), numbers)

    def _index(self) -> dict[int, int]:
        rows = self._rows
        if rows is None:
            rows = self._rows = {ctid: row for row, ctid in enumerate(self.ctids)}
        return rows

    def __getitem__(self, ctid: int) -> VeStat:
        row = self._index()[ctid]
        at = _VALUES * row
        return VeStat(self.ctids[row], *self.numbers[at : at + _VALUES])

    def __iter__(self) -> Iterator[int]:
        return iter(self.ctids)

    def __len__(self) -> int:
        return len(self.ctids)

    def __contains__(self, ctid: object) -> bool:
        return ctid in self._index()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VeStatTable):
            return self.ctids == other.ctids and self.numbers == other.numbers
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # a Mapping, like dict: equal by content, not hashable

    def __repr__(self) -> str:
        return f"VeStatTable({dict(self.items())!r})"

    def busy(self) -> list[int]:
        """Each row's busy jiffies (user + nice + system, ``VeStat.busy_jiffies``), in ``ctids`` order."""
        v = self.numbers
        columns = zip(v[0::_VALUES], v[1::_VALUES], v[2::_VALUES], strict=True)
        return [user + nice + system for user, nice, system in columns]

    def uptimes(self) -> array[int]:
        """Each row's uptime in jiffies, in ``ctids`` order (a copy)."""
        return self.numbers[_UPTIME::_VALUES]


def jiffies(stats: Mapping[int, VeStat]) -> tuple[Sequence[int], Sequence[int], Sequence[int]]:
    """(CTIDs, busy jiffies, uptime jiffies), row by row, of a table or of any ``{ctid: VeStat}``."""
    if isinstance(stats, VeStatTable):
        return stats.ctids, stats.busy(), stats.uptimes()
    values = stats.values()
    return list(stats), [s.busy_jiffies for s in values], [s.uptime_jiffies for s in values]


def read_vestat(text: str) -> VeStatTable | None:
    """The file as a table when it is exactly the kernel's layout (the ``Version:`` line, Version 2.2's twelve
    columns, one row of twelve plain numbers a non-blank line, no CTID twice), else None: the caller then runs the
    strict parser, which reads what else is valid (extra columns of a newer kernel) and names any problem.

    Checked without a Python-level loop over rows (``map`` of ``str.split`` and ``len``, then one ``split`` of the
    rows); ``int`` then ``array('Q')`` refuse anything that is not an unsigned 64-bit number.
    """
    from vztui.openvz.parsers.procvz import VESTAT_COLUMNS

    if not text.isascii() or "+" in text or "_" in text or "-" in text:  # what int() accepts and a kernel never prints
        return None
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    version = lines[0].split()
    if len(version) != 2 or version[0] != "Version:" or tuple(lines[1].split()) != VESTAT_COLUMNS:
        return None
    body = lines[2:]
    if not set(map(len, map(str.split, body))) <= {0, _WIDTH}:  # blank lines are skipped, as the parser does
        return None
    tokens = " ".join(body).split()
    ids = tokens[0::_WIDTH]
    if not all(map(str.isdigit, ids)) or (ids and max(map(len, ids)) > _MAX_CTID_DIGITS):
        return None
    del tokens[0::_WIDTH]
    try:
        ctids = array("q", map(int, ids))
        numbers = array("Q", map(int, tokens))
    except (ValueError, OverflowError):
        return None
    if len(set(ctids)) != len(ctids):
        return None
    return VeStatTable(ctids, numbers)
