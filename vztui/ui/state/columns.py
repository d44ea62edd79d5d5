"""The container table's columns: label, fixed width, which Container fields they depend on, how they render and
how they sort. Rendering returns ``Text`` built from cleaned host text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from vztui.openvz.models import Container, CtStatus
from vztui.openvz.units import KIB, PAGE_SIZE, human_bytes, is_unlimited
from vztui.ui.state.palette import Palette
from vztui.ui.state.rows import CtRow
from vztui.ui.state.text import clean

Renderer = Callable[[CtRow, float, Palette], Text]
SortValue = Callable[[CtRow, float], Any]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str
    label: str
    width: int
    depends: frozenset[str]
    """Container field names (plus ``cpu_percent``, ``uptime``, ``faildelta``) whose change re-renders the cell."""
    render: Renderer
    sort_value: SortValue
    """The value rows are ordered by; None (no value: a stopped CT's CPU %) sorts last in either direction."""
    justify: str = "left"
    description: str = ""


def _text(value: str | None, style: str = "") -> Text:
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis")


def _right(value: str, style: str = "") -> Text:
    return Text(value, style=style, no_wrap=True, justify="right")


def status_style(status: CtStatus, palette: Palette) -> str:
    return {
        CtStatus.RUNNING: palette.success,
        CtStatus.STOPPED: palette.muted,
        CtStatus.MOUNTED: palette.accent,
        CtStatus.SUSPENDED: palette.warning,
        CtStatus.UNKNOWN: palette.error,
    }[status]


def format_uptime(seconds: float | None) -> str:
    """Minute granularity on purpose: the cell changes at most once a minute, so idle screens stay quiet."""
    if seconds is None:
        return ""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def started_order(row: CtRow, _now: float) -> float | None:
    """Sorts like the uptime (longest last) without depending on the clock, so sort keys never go stale."""
    if row.started_at is None or not row.container.running:
        return None
    return -row.started_at


def uptime_of(row: CtRow, now: float) -> float | None:
    if row.started_at is None or not row.container.running:
        return None
    return max(0.0, now - row.started_at)


def _held_limit(container: Container, resource: str) -> tuple[int, int | None] | None:
    bc = container.resources.get(resource)
    if bc is None:
        return None
    return bc.held * PAGE_SIZE, (bc.effective_limit * PAGE_SIZE if bc.effective_limit is not None else None)


def _pair(values: tuple[int, int | None] | None, palette: Palette) -> Text:
    if values is None:
        return Text("")
    held, limit = values
    if limit is None:
        return _right(f"{human_bytes(held)}/∞")
    ratio = held / limit if limit else None
    return _right(f"{human_bytes(held)}/{human_bytes(limit)}", palette.ratio_style(ratio))


def _ratio(values: tuple[int, int | None] | None) -> float | None:
    if values is None:
        return None
    held, limit = values
    return held / limit if limit else float(held)


def _disk(container: Container) -> tuple[int, int | None] | None:
    usage = container.diskspace
    if usage is None:
        return None
    bound = usage.softlimit or usage.hardlimit
    return usage.usage * KIB, (None if not bound or is_unlimited(bound) else bound * KIB)


def _ips(row: CtRow, _now: float, palette: Palette) -> Text:
    ips = row.container.ips
    if not ips:
        return Text("")
    text = _text(ips[0])
    if len(ips) > 1:
        text.append(f" +{len(ips) - 1}", style=palette.muted)
    return text


def _faildelta(row: CtRow, _now: float, palette: Palette) -> Text:
    if not row.fail_delta:
        return Text("")
    return _right(f"+{row.fail_delta}", palette.flash)


def _failcnt(row: CtRow, _now: float, palette: Palette) -> Text:
    total = row.failcnt
    return _right(str(total), palette.warning if total else palette.muted)


def _cpu(row: CtRow, _now: float, palette: Palette) -> Text:
    if row.cpu is None:
        return Text("")
    return _right(f"{row.cpu:.1f}", palette.ratio_style(row.cpu / 100.0 / max(1, row.container.cpus or 1)))


_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "ctid",
        "CTID",
        7,
        frozenset(),
        lambda row, _n, _p: _right(str(row.ctid)),
        lambda row, _n: row.ctid,
        "right",
        "container ID",
    ),
    ColumnSpec(
        "name",
        "Name",
        14,
        frozenset({"name"}),
        lambda row, _n, _p: _text(row.container.name),
        lambda row, _n: (row.container.name or "").lower(),
        description="vzctl --name",
    ),
    ColumnSpec(
        "hostname",
        "Hostname",
        22,
        frozenset({"hostname"}),
        lambda row, _n, _p: _text(row.container.hostname),
        lambda row, _n: (row.container.hostname or "").lower(),
    ),
    ColumnSpec("node", "Node", 6, frozenset(), lambda row, _n, _p: _text(row.node), lambda row, _n: row.node),
    ColumnSpec(
        "status",
        "Status",
        9,
        frozenset({"status"}),
        lambda row, _n, p: Text(row.container.status.value, style=status_style(row.container.status, p)),
        lambda row, _n: row.container.status.value,
    ),
    ColumnSpec("ips", "IP", 17, frozenset({"ips"}), _ips, lambda row, _n: row.container.ips[:1]),
    ColumnSpec(
        "ostemplate",
        "OS template",
        20,
        frozenset({"ostemplate"}),
        lambda row, _n, _p: _text(row.container.ostemplate),
        lambda row, _n: row.container.ostemplate or "",
    ),
    ColumnSpec(
        "layout",
        "Layout",
        6,
        frozenset({"layout"}),
        lambda row, _n, _p: Text(row.container.layout.value),
        lambda row, _n: row.container.layout.value,
    ),
    ColumnSpec("cpu", "CPU%", 6, frozenset({"cpu_percent", "cpus"}), _cpu, lambda row, _n: row.cpu, "right"),
    ColumnSpec(
        "ram",
        "RAM",
        13,
        frozenset({"resources"}),
        lambda row, _n, p: _pair(_held_limit(row.container, "physpages"), p),
        lambda row, _n: _ratio(_held_limit(row.container, "physpages")),
        "right",
        "physpages held / limit",
    ),
    ColumnSpec(
        "swap",
        "Swap",
        13,
        frozenset({"resources"}),
        lambda row, _n, p: _pair(_held_limit(row.container, "swappages"), p),
        lambda row, _n: _ratio(_held_limit(row.container, "swappages")),
        "right",
        "swappages held / limit",
    ),
    ColumnSpec(
        "disk",
        "Disk",
        13,
        frozenset({"diskspace"}),
        lambda row, _n, p: _pair(_disk(row.container), p),
        lambda row, _n: _ratio(_disk(row.container)),
        "right",
        "diskspace used / soft limit",
    ),
    ColumnSpec(
        "numproc",
        "Procs",
        6,
        frozenset({"numproc"}),
        lambda row, _n, _p: _right("" if row.container.numproc is None else str(row.container.numproc)),
        lambda row, _n: row.container.numproc,
        "right",
    ),
    ColumnSpec(
        "failcnt",
        "Fails",
        6,
        frozenset({"resources"}),
        _failcnt,
        lambda row, _n: row.failcnt,
        "right",
        "sum of failcnt over all beancounters",
    ),
    ColumnSpec(
        "faildelta",
        "FΔ",
        5,
        frozenset({"faildelta"}),
        _faildelta,
        lambda row, _n: row.fail_delta,
        "right",
        "failcnt increase at the last tick",
    ),
    ColumnSpec(
        "uptime",
        "Uptime",
        7,
        frozenset({"uptime", "status"}),
        lambda row, now, _p: _right(format_uptime(uptime_of(row, now))),
        started_order,
        "right",
    ),
)

COLUMNS: dict[str, ColumnSpec] = {column.key: column for column in _COLUMNS}
"""Every column the table can show, in display order."""

DEFAULT_COLUMNS: tuple[str, ...] = (
    "ctid",
    "name",
    "hostname",
    "node",
    "status",
    "faildelta",
    "cpu",
    "ram",
    "disk",
    "numproc",
    "ips",
    "uptime",
    "swap",
    "failcnt",
    "ostemplate",
    "layout",
)
"""What needs attention first: FΔ sits right after the status so it is on screen even at 80 columns wide."""


def sort_key(value: Any, rank: int, *, reverse: bool) -> tuple[Any, ...]:
    """The key to sort one row by (sort with ``reverse``): rows without a value go last in either direction, and
    ties break by ``rank`` (CTID, then node) ascending in either direction."""
    if reverse:
        return (value is not None, 0 if value is None else value, -rank)
    return (value is None, 0 if value is None else value, rank)


def sort_order(rows: list[CtRow], column: str, *, reverse: bool, now: float) -> list[str]:
    """Row keys ordered by ``column`` (see ``sort_key``); the rank is the position in (CTID, node) order."""
    spec = COLUMNS[column]
    ranked = sorted(rows, key=lambda row: (row.ctid, row.node))
    keyed = [(sort_key(spec.sort_value(row, now), rank, reverse=reverse), row.key) for rank, row in enumerate(ranked)]
    keyed.sort(key=lambda pair: pair[0], reverse=reverse)
    return [key for _, key in keyed]
