"""Bounded per-CT history for sparklines: the last ``samples`` ticks of CPU % and a few held beancounter values.

Memory is the constraint (10,000 CTs): each series is a compact 32-bit ``array`` capped at ``samples`` values, and
only the resources sparklines show are kept. Work per tick is proportional to the CTs that changed: a CT whose
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
that one series to 64 bits. Half the memory of 64-bit samples, at 10,000 CTs x 7 series."""
_COMPACT_MAX = 2**32 - 1


class _Series:
    __slots__ = ("last_tick", "values")

    def __init__(self) -> None:
        self.values = array(_COMPACT)
        self.last_tick = -1

    def put(self, tick: int, value: int, limit: int) -> None:
        values = self.values
        if not 0 <= value <= _COMPACT_MAX and values.typecode == _COMPACT:
            values = self.values = array("q", values)
        if self.last_tick >= 0 and values:
            gap = min(tick - self.last_tick - 1, limit)
            if gap > 0:
                values.extend(array(values.typecode, [values[-1]]) * gap)
        values.append(value)
        self.last_tick = tick
        if len(values) > limit:
            del values[: len(values) - limit]

    def read(self, tick: int, limit: int) -> list[int]:
        values = self.values
        if not values:
            return []
        out = values.tolist()
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
        self._series: dict[tuple[str, int], dict[str, _Series]] = {}
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
        for ctid in targets:
            container = containers.get(ctid)
            if container is None:
                continue
            series = self._series.get((node, ctid))
            if series is None:
                series = self._series[(node, ctid)] = {}
            percent = cpu.get(ctid)
            if percent is not None:
                _put(series, CPU, tick, round(percent), limit)
            resources = container.resources
            if isinstance(resources, BeancounterTable):
                for name in self.resources:
                    held = resources.held(name)
                    if held is not None:
                        _put(series, name, tick, held, limit)
            elif resources:
                for name in self.resources:
                    bc = resources.get(name)
                    if bc is not None:
                        _put(series, name, tick, bc.held, limit)
        previous = self._seen.get(node)
        if previous is not None and previous is not containers:
            for ctid in [ctid for ctid in previous if ctid not in containers]:
                self._series.pop((node, ctid), None)
        self._seen[node] = containers

    def get(self, node: str, ctid: int, series: str) -> list[int]:
        """Up to ``samples`` values, oldest first (empty when nothing was recorded)."""
        found = self._series.get((node, ctid), {}).get(series)
        if found is None:
            return []
        return found.read(self._ticks.get(node, 0), self.samples)

    def forget_node(self, node: str) -> None:
        for key in [key for key in self._series if key[0] == node]:
            del self._series[key]
        self._ticks.pop(node, None)
        self._seen.pop(node, None)


def _put(series: dict[str, _Series], name: str, tick: int, value: int, limit: int) -> None:
    one = series.get(name)
    if one is None:
        one = series[name] = _Series()
    one.put(tick, value, limit)
