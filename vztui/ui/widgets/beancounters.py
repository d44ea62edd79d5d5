"""The selected container's beancounters: held vs barrier gauges, failcnt flashes, held-value sparklines, CPU and
both quota levels. Fed by the shell (``show``) on cursor moves and on every delta of the CT's node.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widget import Widget

from vztui.backend.snapshot import FailcntIncrease, NodeHealth, NodeSnapshot
from vztui.openvz.models import Beancounter, Container, DiskUsage, QuotaUsage
from vztui.openvz.resources import BC_RESOURCES_ORDER, RESOURCES
from vztui.openvz.units import Unit, human_value, is_unlimited
from vztui.ui.state.palette import WARN_RATIO, Palette
from vztui.ui.state.text import clean
from vztui.ui.widgets.bc_table import BcColumn, BeancounterGrid
from vztui.ui.widgets.gauge import gauge, palette_of
from vztui.ui.widgets.quiet_static import QuietStatic
from vztui.ui.widgets.sparkline import sparkline

CSS_FILE = Path(__file__).with_suffix(".tcss")
"""Widgets cannot carry CSS_PATH: the screen or app hosting the panel lists this file in its own CSS_PATH."""

FLASH_SECONDS = 2.0
"""How long a row stays highlighted after its failcnt rose."""
TREND_WIDTH = 10
TREND_NOISE = 0.05
"""Sparklines scale to at least this share of the limit, so jitter of a few pages does not look like a spike."""
SHORT_HEIGHT = 14
"""Below this height the quota lines give their room to the table; below TINY_HEIGHT the CPU line does too."""
TINY_HEIGHT = 9
BAR_WIDTH = 6
COUNTER_MEMORY = 256
"""Rise counters are kept for this many (node, CTID) pairs, so moving away and back keeps the count."""

HistoryReader = Callable[[str], Sequence[int]]

_ORDER = {name: index for index, name in enumerate(BC_RESOURCES_ORDER)}

COLUMNS: tuple[BcColumn, ...] = (
    BcColumn("resource", "Resource", 13),
    BcColumn("held", "Held", 8),
    BcColumn("gauge", " Use", BAR_WIDTH + 6),
    BcColumn("barrier", "Barrier", 8),
    BcColumn("limit", "Limit", 8),
    BcColumn("failcnt", "Fails", 9),
    BcColumn("maxheld", "Max", 8),
    BcColumn("trend", " Trend", TREND_WIDTH + 1),
)
"""Cells carry their own spacing (right-justified numbers, a leading space in gauges and trends) and the table has
no cell padding, so all eight columns fit an 80-column terminal."""

RowSignature = tuple[int, int, int, int, int, bool, int, int, tuple[int, ...]]


def _resource_order(name: str) -> tuple[int, str]:
    return (_ORDER.get(name, len(_ORDER)), name)


def _right(value: str, style: str = "") -> Text:
    return Text(value, style=style, no_wrap=True, justify="right")


def _human(value: int, unit: Unit) -> str:
    """``human_value`` except that zero is ``0`` (not ``0B``): VSwap's barrier 0 means "not used", not a size."""
    return "0" if value == 0 else human_value(value, unit)


def _disk_bound(usage: DiskUsage) -> int | None:
    bound = usage.softlimit or usage.hardlimit
    return None if not bound or is_unlimited(bound) else bound


class BeancounterPanel(Widget):
    """Every beancounter of one CT plus its CPU and disk quota; updated in place, row by row.

    A failcnt rise flashes its row for FLASH_SECONDS and bumps a per-resource counter; the same increase reported
    twice (the shell re-sends a delta when the cursor returns) is counted once.
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._target: tuple[str, int] | None = None
        self._rows: dict[str, RowSignature] = {}
        self._seen: set[tuple[str, int, str, int, int]] = set()
        self._counters: OrderedDict[tuple[str, int], dict[str, int]] = OrderedDict()
        self._last_rise: dict[str, int] = {}
        self._flash_until: dict[str, float] = {}
        self._flash_timer: Timer | None = None
        self._snapshot: NodeSnapshot | None = None
        self._history: HistoryReader = lambda _resource: ()
        self._palette = Palette()

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="bc-title")
        yield BeancounterGrid(COLUMNS, id="bc-table")
        yield QuietStatic(id="bc-cpu")
        yield QuietStatic(id="bc-quota")

    def on_resize(self) -> None:
        height = self.size.height
        self.set_class(height < SHORT_HEIGHT, "-short")
        self.set_class(height < TINY_HEIGHT, "-tiny")

    def on_mount(self) -> None:
        self._palette = palette_of(self.app)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._render_empty("No container selected")

    def _theme_changed(self, _theme: object) -> None:
        """Colours come from the theme: re-render everything in the new palette."""
        self._palette = palette_of(self.app)
        self._rows = {}
        self._table.clear()
        snapshot, target = self._snapshot, self._target
        container = snapshot.containers.get(target[1]) if snapshot is not None and target is not None else None
        if snapshot is not None and container is not None:
            self._render_all(snapshot, container)

    @property
    def _table(self) -> BeancounterGrid:
        return self.query_one("#bc-table", BeancounterGrid)

    # -- public API ----------------------------------------------------------------------------------------------

    @property
    def target(self) -> tuple[str, int] | None:
        """(node, CTID) shown, or None."""
        return self._target

    @property
    def flashing(self) -> frozenset[str]:
        """Resources whose row is highlighted right now because their failcnt just rose."""
        now = time.monotonic()
        return frozenset(name for name, until in self._flash_until.items() if until > now)

    def rises(self, resource: str) -> int:
        """How many failcnt increases of ``resource`` this panel has seen for the CT it shows."""
        if self._target is None:
            return 0
        return self._counters.get(self._target, {}).get(resource, 0)

    def show(
        self,
        snapshot: NodeSnapshot | None,
        ctid: int | None,
        increases: Sequence[FailcntIncrease],
        history: HistoryReader,
    ) -> None:
        """Show ``ctid`` of ``snapshot``'s node; ``increases`` are the latest delta's failcnt rises for that CT."""
        self._snapshot = snapshot
        self._history = history
        container = snapshot.containers.get(ctid) if snapshot is not None and ctid is not None else None
        if snapshot is None or ctid is None or container is None:
            self._target = None
            self._flash_until.clear()
            if ctid is None or snapshot is None:
                self._render_empty("No container selected")
            else:
                self._render_empty(f"CT {ctid} is no longer on {snapshot.node}")
            return
        target = (snapshot.node, ctid)
        moved = target != self._target
        if moved:
            self._target = target
            self._flash_until.clear()
            self._last_rise.clear()
        fresh = self._take_increases(target, increases)
        self._render_all(snapshot, container)
        if (moved or fresh) and not self._table.has_focus:
            self._point_at_worst(container)

    def _render_all(self, snapshot: NodeSnapshot, container: Container) -> None:
        self._render_title(snapshot, container)
        self._render_rows(container)
        self._render_cpu(snapshot, container)
        self._render_quota(snapshot.quota.get(container.ctid), container)

    # -- increases and flashes ---------------------------------------------------------------------------------

    def _take_increases(self, target: tuple[str, int], increases: Sequence[FailcntIncrease]) -> bool:
        """Count and flash new increases; return whether there was any."""
        counters = self._counters.get(target)
        if counters is None:
            counters = self._counters[target] = {}
            while len(self._counters) > COUNTER_MEMORY:
                self._counters.popitem(last=False)
        else:
            self._counters.move_to_end(target)
        fresh = False
        for event in increases:
            if (event.node, event.ctid) != target or event.current <= event.previous:
                continue
            key = (event.node, event.ctid, event.resource, event.previous, event.current)
            if key in self._seen:
                continue
            self._seen.add(key)
            if len(self._seen) > COUNTER_MEMORY * 8:
                self._seen = {key}
            counters[event.resource] = counters.get(event.resource, 0) + 1
            self._last_rise[event.resource] = event.increase
            self._flash_until[event.resource] = time.monotonic() + FLASH_SECONDS
            fresh = True
        if fresh:
            self.add_class("-flash")
            if self._flash_timer is not None:
                self._flash_timer.stop()
            self._flash_timer = self.set_timer(FLASH_SECONDS, self._end_flash)
        return fresh

    def _point_at_worst(self, container: Container) -> None:
        """Keep the row that matters in view when the panel is small: a flashing one, else the fullest ≥ 70 %."""
        names = list(self._rows)
        flashing = [name for name in names if name in self._flash_until]
        if flashing:
            worst = flashing[0]
        else:
            ratios = [(container.resources[name].usage_ratio or 0.0, name) for name in names]
            ratio, worst = max(ratios, default=(0.0, ""))
            if ratio < WARN_RATIO:
                worst = names[0] if names else ""
        if worst:
            self._table.move_cursor(row=names.index(worst))

    def _end_flash(self) -> None:
        self._flash_timer = None
        now = time.monotonic()
        expired = [name for name, until in self._flash_until.items() if until <= now]
        for name in expired:
            del self._flash_until[name]
        if self._flash_until:
            remaining = min(self._flash_until.values()) - now
            self._flash_timer = self.set_timer(max(remaining, 0.05), self._end_flash)
        else:
            self.remove_class("-flash")
        snapshot = self._snapshot
        if self._target is not None and snapshot is not None:
            container = snapshot.containers.get(self._target[1])
            if container is not None:
                self._render_rows(container)

    # -- rendering -----------------------------------------------------------------------------------------------

    def _render_empty(self, message: str) -> None:
        self.query_one("#bc-title", QuietStatic).show(Text(message, style=self._palette.muted))
        if self._rows:
            self._table.clear()
            self._rows.clear()
        self.query_one("#bc-cpu", QuietStatic).show(Text())
        self.query_one("#bc-quota", QuietStatic).show(Text())

    def _render_title(self, snapshot: NodeSnapshot, container: Container) -> None:
        palette = self._palette
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"CT {container.ctid}", style="bold")
        if container.name:
            title.append(f" {clean(container.name)}")
        if container.hostname:
            title.append(f" ({clean(container.hostname)})", style=palette.muted)
        title.append(f" on {clean(snapshot.node)} · {container.status.value}")
        if snapshot.health is not NodeHealth.UP:
            title.append(f" · node {snapshot.health.value}", style=palette.warning)
        if not container.running:
            title.append(" · configured values", style=palette.muted)
        total = sum(self._counters.get((snapshot.node, container.ctid), {}).values())
        if total:
            title.append(f" · ▲{total} failcnt rise{'s' if total != 1 else ''}", style=palette.error)
        self.query_one("#bc-title", QuietStatic).show(title)

    def _render_rows(self, container: Container) -> None:
        """Only rows whose figures changed are re-rendered (and, in the table, only their changed cells)."""
        table = self._table
        names = sorted(container.resources, key=_resource_order)
        if list(self._rows) != names:
            self._rows = {name: self._signature(container.resources[name]) for name in names}
            table.set_rows([(name, self._cells(container.resources[name])) for name in names])
            return
        for name in names:
            bc = container.resources[name]
            signature = self._signature(bc)
            if self._rows.get(name) == signature:
                continue
            self._rows[name] = signature
            table.update_row(name, self._cells(bc))

    def _signature(self, bc: Beancounter) -> RowSignature:
        trend = tuple(self._history(bc.resource)[-TREND_WIDTH:])
        return (
            bc.held,
            bc.maxheld,
            bc.barrier,
            bc.limit,
            bc.failcnt,
            bc.resource in self._flash_until,
            self.rises(bc.resource),
            self._last_rise.get(bc.resource, 0),
            trend,
        )

    def _cells(self, bc: Beancounter) -> tuple[Text, ...]:
        palette = self._palette
        unit = bc.unit
        ratio = bc.usage_ratio
        flashing = bc.resource in self._flash_until
        spec = RESOURCES.get(bc.resource)
        resource = Text(bc.resource, style=palette.flash if flashing else "", no_wrap=True)
        if spec is None:
            resource.stylize(palette.muted)
        failcnt = Text(no_wrap=True, justify="right")
        if flashing:
            failcnt.append(f"{bc.failcnt} +{self._last_rise.get(bc.resource, 0)}", style=palette.flash)
        else:
            failcnt.append(str(bc.failcnt), style=palette.warning if bc.failcnt else palette.muted)
        count = self.rises(bc.resource)
        if count and not flashing:
            failcnt.append(f" ▲{count}", style=palette.error)
        return (
            resource,
            _right(_human(bc.held, unit), palette.ratio_style(ratio)),
            Text(" ").append_text(gauge(ratio, BAR_WIDTH, palette)),
            _right(_human(bc.barrier, unit)),
            _right(_human(bc.limit, unit)),
            failcnt,
            _right(_human(bc.maxheld, unit), palette.muted),
            Text(" ").append_text(self._trend(bc)),
        )

    def _trend(self, bc: Beancounter) -> Text:
        """Held values over time; changes under TREND_NOISE of the limit (or of the level) stay low."""
        values = self._history(bc.resource)
        scale = bc.effective_limit or (max(values) if values else 0)
        return sparkline(values, TREND_WIDTH, self._palette.accent, min_span=scale * TREND_NOISE)

    def _render_cpu(self, snapshot: NodeSnapshot, container: Container) -> None:
        palette = self._palette
        percent = snapshot.cpu_percent.get(container.ctid)
        host_cpus = snapshot.info.capacity.cpus if snapshot.info is not None else 0
        cpus = container.cpus or host_cpus
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("CPU   ", style="bold")
        if percent is None:
            line.append("    –  ", style=palette.muted)
            ratio = None
        else:
            line.append(f"{percent:5.1f}% ")
            bound = container.cpulimit or (100 * cpus if cpus else 0)
            ratio = percent / bound if bound else None
        line.append_text(gauge(ratio, BAR_WIDTH, palette))
        quota = f"{container.cpulimit}%" if container.cpulimit else "none"
        line.append(f"  limit {quota}  units {container.cpuunits if container.cpuunits is not None else '–'}")
        line.append(f"  cpus {container.cpus or 'all'}")
        if host_cpus:
            line.append(f"/{host_cpus}", style=palette.muted)
        trend = self._history("cpu")
        if trend:
            line.append("  ")
            line.append_text(sparkline(trend, TREND_WIDTH, palette.accent))
        self.query_one("#bc-cpu", QuietStatic).show(line)

    def _render_quota(self, quota: QuotaUsage | None, container: Container) -> None:
        self.query_one("#bc-quota", QuietStatic).show(quota_text(quota, container, self._palette))


def quota_text(quota: QuotaUsage | None, container: Container, palette: Palette) -> Text:
    """Three lines: disk blocks and inodes (first level, vs the soft limit) and the ugid (second-level) state.

    Falls back to vzlist's diskspace/diskinodes when the node reported no vzquota figures for the CT.
    """
    blocks = quota.blocks if quota is not None else container.diskspace
    inodes = quota.inodes if quota is not None else container.diskinodes
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append_text(_quota_line("Disk  ", blocks, Unit.KIB, palette))
    text.append("\n")
    text.append_text(_quota_line("Inodes", inodes, Unit.ITEMS, palette))
    text.append("\n")
    text.append("UGID  ", style="bold")
    ugid = quota.ugid if quota is not None else None
    if ugid is None:
        text.append("second-level quota not reported", style=palette.muted)
    elif not ugid.enabled:
        text.append(f"off ({clean(ugid.state)})", style=palette.muted)
    else:
        text.append(f"{clean(ugid.state)}  ids {ugid.loaded} loaded / {ugid.total} total, limit {ugid.limit}")
        if ugid.exceeded:
            text.append("  exceeded", style=f"bold {palette.error}")
    return text


def _quota_line(label: str, usage: DiskUsage | None, unit: Unit, palette: Palette) -> Text:
    line = Text(no_wrap=True)
    line.append(label, style="bold")
    if usage is None:
        line.append("  not reported", style=palette.muted)
        return line
    bound = _disk_bound(usage)
    ratio = usage.usage / bound if bound else None
    line.append(f" {human_value(usage.usage, unit):>7} ", style=palette.ratio_style(ratio))
    line.append_text(gauge(ratio, BAR_WIDTH, palette))
    line.append(f"  soft {human_value(usage.softlimit, unit)}  hard {human_value(usage.hardlimit, unit)}")
    if usage.over or usage.grace:
        line.append(f"  over quota {clean(usage.grace)}".rstrip(), style=f"bold {palette.error}")
    return line
