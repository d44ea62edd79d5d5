"""Bounded per-CT history for sparklines: the last ``samples`` ticks of CPU % and a few held beancounter values.

Memory is the constraint (10,000 CTs): each CT's series share one compact 32-bit ``array`` ring of ``samples``
rows, and only the resources sparklines show are kept. Work per tick is proportional to the CTs that changed: a CT whose
Container object was reused is not touched; its series are padded with the last value when next written or read.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence

from vztui.backend.gcpause import paused_collector
from vztui.backend.snapshot import NodeSnapshot
from vztui.openvz.models import BeancounterTable

CPU = "cpu"
"""The series name of CPU use (percent of one CPU, rounded to an integer)."""

DEFAULT_RESOURCES: tuple[str, ...] = ("physpages", "swappages", "privvmpages", "kmemsize", "numproc", "numfile")
DEFAULT_SAMPLES = 30
"""A minute at the default refresh: three times what the dashboard's trend column shows (its last 10 values), and
a fraction of the memory 120 samples took (30 MB at 10,000 CTs)."""


_COMPACT = "I"
"""Unsigned 32-bit samples: every series fits (pages, counts, percent) except a kmemsize beyond 4 GiB, which moves
that CT's samples to 64 bits. Half the memory of 64-bit samples, at 10,000 CTs x 7 series."""
_COMPACT_MAX = 2**32 - 1
_WIDE = "Q"
_NO_FIRST = array("q")
"""What a full ring keeps instead of its per-series first rows (shared, never written)."""


class _Ring:
    """One CT's samples of every series in one flat ring: row ``r`` holds series 0..S-1 of one tick.

    One array per CT instead of one per series (plus its object and dict entry) is what keeps 10,000 CTs' history
    near 1 KB each. ``first[s]`` is the row count when series ``s`` got its first value (-1: never), so a series
    that appeared late is not shown with made-up older values; a tick without a value for a series carries its last
    one, as a sparkline shows it.

    Once every series has a full ring of its own samples the ring is ``full``: ``written`` stops counting and
    ``first`` is dropped, because nothing about a full ring depends on them any more. A counter that went on
    growing would become a heap object of its own per CT past 256 (CPython caches only small ints): the 50-node
    load test saw the interpreter's live blocks step up by ~9,000 at its 257th tick and stay there.
    """

    __slots__ = ("first", "full", "head", "last_tick", "pending", "values", "written")

    def __init__(self, series: int, limit: int) -> None:
        self.values = array(_COMPACT, bytes(array(_COMPACT).itemsize * series * limit))
        self.first = array("q", [-1]) * series
        self.pending = series
        """Series that never had a value (while any remain, each write checks for their first)."""
        self.head = 0
        """The row the next tick is written to."""
        self.written = 0
        """Rows written so far, until the ring is full."""
        self.full = False
        self.last_tick = -1

    def put(self, tick: int, sample: list[int | None], limit: int) -> None:
        """Write one tick's ``sample`` (None: no value this tick), first padding skipped ticks with the last row.

        Values are never negative (held values are unsigned, CPU % is not below 0)."""
        width = len(sample)
        if self.written:
            last = self.values[((self.head - 1) % limit) * width : ((self.head - 1) % limit + 1) * width]
            for _ in range(min(tick - self.last_tick - 1, limit)):
                self._append(last, width, limit)
            row = [value if value is not None else last[column] for column, value in enumerate(sample)]
        else:
            row = [value if value is not None else 0 for value in sample]
        if self.values.typecode == _COMPACT and max(row) > _COMPACT_MAX:
            self.values = array(_WIDE, self.values)
        if self.pending:
            first = self.first
            for column, value in enumerate(sample):
                if value is not None and first[column] < 0:
                    first[column] = self.written
                    self.pending -= 1
        self._append(array(self.values.typecode, row), width, limit)
        self.last_tick = tick

    def _append(self, row: array[int], width: int, limit: int) -> None:
        at = self.head * width
        self.values[at : at + width] = row
        self.head = (self.head + 1) % limit
        if not self.full:
            self.written += 1
            if not self.pending and self.written - max(self.first) >= limit:
                self.full = True
                self.first = _NO_FIRST

    def read(self, column: int, width: int, tick: int, limit: int) -> list[int]:
        if self.full:
            count = limit
        else:
            start = self.first[column]
            count = min(self.written - start, limit) if start >= 0 else 0
        if count <= 0:
            return []
        values, head = self.values, self.head
        out = [values[((head - back) % limit) * width + column] for back in range(count, 0, -1)]
        gap = min(tick - self.last_tick, limit)
        if gap > 0:
            out.extend([out[-1]] * gap)
        return out[-limit:]


class History:
    """Ring-buffered samples per (node, ctid, series); one ``record`` call per snapshot."""

    def __init__(self, *, samples: int = DEFAULT_SAMPLES, resources: Sequence[str] = DEFAULT_RESOURCES) -> None:
        self.samples = samples
        self.resources = tuple(resources)
        self._ticks: dict[str, int] = {}
        self._columns = {name: column for column, name in enumerate((CPU, *self.resources))}
        self._rings: dict[tuple[str, int], _Ring] = {}
        self._seen: dict[str, Mapping[int, object]] = {}

    @paused_collector
    def record(self, snapshot: NodeSnapshot, changed: Iterable[int] | None = None) -> None:
        """Add one tick of ``snapshot``. ``changed`` (the delta's changed + appeared CTIDs) limits the work; None
        means "look at every CT"."""
        node = snapshot.node
        tick = self._ticks.get(node, -1) + 1
        self._ticks[node] = tick
        containers = snapshot.containers
        cpu = snapshot.cpu_percent
        targets = containers.keys() if changed is None else changed
        limit = self.samples
        names = self.resources
        width = len(names) + 1
        rings = self._rings
        for ctid in targets:
            container = containers.get(ctid)
            if container is None:
                continue
            ring = rings.get((node, ctid))
            if ring is None:
                ring = rings[(node, ctid)] = _Ring(width, limit)
            percent = cpu.get(ctid)
            sample: list[int | None] = [round(percent) if percent is not None else None]
            resources = container.resources
            if isinstance(resources, BeancounterTable):
                sample.extend(resources.held(name) for name in names)
            else:
                for name in names:
                    bc = resources.get(name)
                    sample.append(bc.held if bc is not None else None)
            ring.put(tick, sample, limit)
        previous = self._seen.get(node)
        if previous is not None and previous is not containers:
            for ctid in [ctid for ctid in previous if ctid not in containers]:
                self._rings.pop((node, ctid), None)
        self._seen[node] = containers

    def get(self, node: str, ctid: int, series: str) -> list[int]:
        """Up to ``samples`` values, oldest first (empty when nothing was recorded)."""
        ring = self._rings.get((node, ctid))
        column = self._columns.get(series)
        if ring is None or column is None:
            return []
        return ring.read(column, len(self._columns), self._ticks.get(node, 0), self.samples)

    def forget_node(self, node: str) -> None:
        for key in [key for key in self._rings if key[0] == node]:
            del self._rings[key]
        self._ticks.pop(node, None)
        self._seen.pop(node, None)
