"""One hardware node in depth: vz.conf paths with drift against the other nodes flagged (vzmigrate needs them
equal), capacity in vzcpucheck/vzmemcheck terms, load, memory, filesystems, template cache and config samples.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import TransportError
from vztui.openvz.models import NodeInfo
from vztui.openvz.units import KIB, PAGE_SIZE, human_bytes
from vztui.ui.backend_api import ClusterApi, DeltaForwarder
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.drift import DRIFT_KEYS, path_drift
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean
from vztui.ui.widgets.gauge import gauge, palette_of
from vztui.ui.widgets.quiet_static import QuietStatic

HOST_CPUUNITS = 1000
"""vzcpucheck counts the host itself (VE0CPUUNITS in vz.conf, 1000 by default) in "Current CPU utilization"."""
BAR_WIDTH = 12
REFRESH_DELAY = 0.5
LABEL_WIDTH = 15


def drift_report(infos: Mapping[str, NodeInfo | None], node: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """key → (the value most other nodes use, those nodes) for each vz.conf path where ``node`` differs."""
    report: dict[str, tuple[str, tuple[str, ...]]] = {}
    attributes = dict(DRIFT_KEYS)
    for key, common in path_drift(infos, node).items():
        holders = tuple(
            sorted(
                name
                for name, info in infos.items()
                if name != node and info is not None and getattr(info.vz, attributes[key]) == common
            )
        )
        report[key] = (common, holders)
    return report


def cpu_units_committed(snapshot: NodeSnapshot | None) -> int:
    """vzcpucheck's "Current CPU utilization": cpuunits of running CTs plus the host's own share."""
    if snapshot is None:
        return 0
    units = sum(ct.cpuunits or 0 for ct in snapshot.containers.values() if ct.running)
    return units + HOST_CPUUNITS


def promised_memswap(snapshot: NodeSnapshot | None) -> int:
    """Bytes of RAM+swap the running CTs were promised (physpages + swappages limits), for a MemSwap estimate."""
    if snapshot is None:
        return 0
    total = 0
    for ct in snapshot.containers.values():
        if not ct.running:
            continue
        for resource in ("physpages", "swappages"):
            bc = ct.resources.get(resource)
            bound = bc.effective_limit if bc is not None else None
            if bound is not None:
                total += bound * PAGE_SIZE
    return total


class NodeDetailScreen(NoAutoLinks, Screen[None]):
    """Facts about one node; live while shown; ``r`` re-polls it, ``c`` opens the capacity tools, ``f`` fixes vz.conf
    drift and missing directories."""

    CSS_PATH = "node_detail.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="node_detail.close"),
        Binding("q", "close", "Back", show=False, id="node_detail.quit"),
        Binding("r", "refresh_node", "Refresh", id="node_detail.refresh"),
        Binding("c", "capacity", "Capacity tools", id="node_detail.capacity"),
        Binding("f", "fix_node", "Fix consistency", id="node_detail.fix"),
    ]

    def __init__(
        self,
        cluster: ClusterApi,
        node: str,
        *,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._cluster = cluster
        self._node = node
        self._clock = clock
        self._unsubscribe: Callable[[], None] | None = None
        self._refresh_timer: Timer | None = None
        self._palette = Palette()

    @property
    def node(self) -> str:
        return self._node

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="node-title")
        with VerticalScroll(id="node-body"):
            yield QuietStatic(id="node-vzconf", classes="section")
            yield QuietStatic(id="node-capacity", classes="section")
            yield QuietStatic(id="node-load", classes="section")
            yield QuietStatic(id="node-filesystems", classes="section")
            yield QuietStatic(id="node-catalog", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        self._palette = palette_of(self.app)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._unsubscribe = self._cluster.subscribe(DeltaForwarder(self.delta_arrived))
        self.render_all()
        self.query_one("#node-body", VerticalScroll).focus()

    def _theme_changed(self, _theme: object) -> None:
        self._palette = palette_of(self.app)
        self.render_all()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def delta_arrived(self, delta: NodeDelta) -> None:
        if delta.node == self._node and self._refresh_timer is None:
            self._refresh_timer = self.set_timer(REFRESH_DELAY, self.render_all)

    # -- rendering -----------------------------------------------------------------------------------------------

    def render_all(self) -> None:
        self._refresh_timer = None
        snapshot = self._cluster.snapshots().get(self._node)
        info = self._cluster.node_info(self._node) or (snapshot.info if snapshot is not None else None)
        infos = {name: self._cluster.node_info(name) for name in self._cluster.nodes}
        self.query_one("#node-title", QuietStatic).show(self._title(snapshot, info))
        self.query_one("#node-vzconf", QuietStatic).show(self._vzconf(info, infos))
        self.query_one("#node-capacity", QuietStatic).show(self._capacity(snapshot, info))
        self.query_one("#node-load", QuietStatic).show(self._load(snapshot))
        self.query_one("#node-filesystems", QuietStatic).show(self._filesystems(snapshot))
        self.query_one("#node-catalog", QuietStatic).show(self._catalog(snapshot, info))

    def _heading(self, title: str) -> Text:
        return Text(title, style=f"bold {self._palette.accent}")

    def _title(self, snapshot: NodeSnapshot | None, info: NodeInfo | None) -> Text:
        palette = self._palette
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" Node {clean(self._node)} ", style="bold reverse")
        if info is not None:
            if info.hostname:
                text.append(f" {clean(info.hostname)}")
            if info.kernel:
                text.append(f" · {clean(info.kernel)}", style=palette.muted)
            if info.vzctl_version:
                text.append(f" · vzctl {clean(info.vzctl_version)}", style=palette.muted)
        if snapshot is None:
            text.append(" · unknown node", style=palette.error)
            return text
        if snapshot.health is NodeHealth.UP:
            age = max(0.0, self._clock() - snapshot.taken_at)
            text.append(" · up", style=palette.success)
            text.append(f", polled {age:.0f}s ago in {snapshot.poll_duration:.2f}s", style=palette.muted)
        elif snapshot.health is NodeHealth.STALE:
            stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
            text.append(f" · stale since {stamp}: {clean(snapshot.error)}", style=palette.warning)
        else:
            text.append(f" · unreachable: {clean(snapshot.error)}", style=palette.error)
        return text

    def _vzconf(self, info: NodeInfo | None, infos: Mapping[str, NodeInfo | None]) -> Text:
        palette = self._palette
        text = self._heading("vz.conf")
        if info is None:
            text.append("\nnot read yet (the node's static facts arrive with the first successful poll)")
            return text
        drift = drift_report(infos, self._node)
        compared = sum(1 for name, other in infos.items() if name != self._node and other is not None)
        for key, attribute in DRIFT_KEYS:
            value = getattr(info.vz, attribute)
            text.append(f"\n{key:<{LABEL_WIDTH}}", style="bold")
            text.append(clean(value))
            found = drift.get(key)
            if found is not None:
                common, holders = found
                text.append("  ⚠ drift: ", style=f"bold {palette.error}")
                text.append(f"{', '.join(clean(h) for h in holders)} use {clean(common)}", style=palette.error)
            elif compared:
                text.append("  ✓ same on all nodes", style=palette.muted)
        if drift:
            text.append(
                "\nvzmigrate needs VE_ROOT, VE_PRIVATE and TEMPLATE equal: f fixes this node.", style=palette.warning
            )
        vz = info.vz
        extras = (
            ("LOCKDIR", vz.lockdir),
            ("DUMPDIR", vz.dumpdir),
            ("CONFIGFILE", vz.configfile),
            ("DEF_OSTEMPLATE", vz.def_ostemplate),
            ("VE_LAYOUT", vz.ve_layout),
            ("DISK_QUOTA", "yes" if vz.disk_quota else "no"),
        )
        for key, value in extras:
            text.append(f"\n{key:<{LABEL_WIDTH}}", style=palette.muted)
            text.append(clean(value))
        return text

    def _capacity(self, snapshot: NodeSnapshot | None, info: NodeInfo | None) -> Text:
        palette = self._palette
        text = self._heading("Capacity")
        if info is None:
            text.append("\nunknown until the node's static facts are read", style=palette.muted)
            return text
        capacity = info.capacity
        text.append(f"\n{'Hardware':<{LABEL_WIDTH}}", style="bold")
        text.append(f"{capacity.cpus} CPUs · RAM {human_bytes(capacity.ram_bytes)}")
        text.append(f" · swap {human_bytes(capacity.swap_bytes)}")
        committed = capacity.cpu_units_committed or cpu_units_committed(snapshot)
        text.append(f"\n{'vzcpucheck':<{LABEL_WIDTH}}", style="bold")
        text.append(f"Current CPU utilization {committed}")
        if capacity.cpu_power:
            ratio = committed / capacity.cpu_power
            text.append(f" of power {capacity.cpu_power}  ")
            text.append_text(gauge(ratio, BAR_WIDTH, palette))
            if ratio > 1:
                text.append("  overcommitted", style=f"bold {palette.error}")
        else:
            text.append(" (power of the node not measured)", style=palette.muted)
        text.append(f"\n{'vzmemcheck':<{LABEL_WIDTH}}", style="bold")
        if capacity.mem_commit_percent is not None:
            # Read with the node's static facts (at connect): c re-runs vzmemcheck for the current figure.
            ratio = capacity.mem_commit_percent / 100
            text.append(f"MemSwap commit {capacity.mem_commit_percent:.1f}% (at connect; c: now)  ")
        else:
            total = capacity.ram_bytes + capacity.swap_bytes
            promised = promised_memswap(snapshot)
            ratio = promised / total if total else 0.0
            text.append(f"RAM+swap promised {human_bytes(promised)} of {human_bytes(total)} (est.)  ")
        text.append_text(gauge(ratio, BAR_WIDTH, palette))
        if ratio > 1:
            text.append("  overcommitted", style=f"bold {palette.warning}")
        return text

    def _load(self, snapshot: NodeSnapshot | None) -> Text:
        palette = self._palette
        text = self._heading("Load and memory")
        if snapshot is None:
            return text
        load = snapshot.loadavg
        text.append(f"\n{'Load':<{LABEL_WIDTH}}", style="bold")
        if load is not None:
            text.append(f"{load.one:.2f} {load.five:.2f} {load.fifteen:.2f}")
            text.append(f" · {load.running}/{load.total} tasks runnable", style=palette.muted)
        else:
            text.append("not reported", style=palette.muted)
        mem = snapshot.meminfo
        if mem is not None:
            used = mem.total - mem.available
            text.append(f"\n{'RAM':<{LABEL_WIDTH}}", style="bold")
            text.append_text(gauge(used / mem.total if mem.total else None, BAR_WIDTH, palette))
            text.append(f"  {human_bytes(used)} used of {human_bytes(mem.total)}, {human_bytes(mem.available)} avail")
            swap_used = mem.swap_total - mem.swap_free
            text.append(f"\n{'Swap':<{LABEL_WIDTH}}", style="bold")
            text.append_text(gauge(swap_used / mem.swap_total if mem.swap_total else None, BAR_WIDTH, palette))
            text.append(f"  {human_bytes(swap_used)} used of {human_bytes(mem.swap_total)}")
        containers = snapshot.containers.values()
        layouts = Counter(ct.layout.value for ct in containers)
        text.append(f"\n{'Containers':<{LABEL_WIDTH}}", style="bold")
        text.append(f"{snapshot.running_count} running of {len(snapshot.containers)}")
        if layouts:
            text.append(" · " + ", ".join(f"{count} {layout}" for layout, count in sorted(layouts.items())))
        return text

    def _filesystems(self, snapshot: NodeSnapshot | None) -> Text:
        palette = self._palette
        text = self._heading("Filesystems")
        if snapshot is None or not snapshot.filesystems:
            text.append("\nnot reported", style=palette.muted)
            return text
        for fs in snapshot.filesystems:
            ratio = fs.used_kib / fs.size_kib if fs.size_kib else None
            text.append(f"\n{clean(fs.mountpoint):<{LABEL_WIDTH}}", style="bold")
            text.append_text(gauge(ratio, BAR_WIDTH, palette))
            text.append(f"  {human_bytes(fs.used_kib * KIB)} of {human_bytes(fs.size_kib * KIB)}")
            text.append(f", {human_bytes(fs.available_kib * KIB)} free · {clean(fs.filesystem)}", style=palette.muted)
        return text

    def _catalog(self, snapshot: NodeSnapshot | None, info: NodeInfo | None) -> Text:
        palette = self._palette
        text = self._heading("Template cache")
        if info is None:
            return text
        used = Counter(ct.ostemplate for ct in snapshot.containers.values()) if snapshot is not None else Counter()
        if not info.templates:
            text.append("\nno cached OS templates", style=palette.muted)
        for template in info.templates:
            text.append(f"\n  {clean(template)}")
            if used.get(template):
                text.append(f"  ({used[template]} CTs)", style=palette.muted)
        text.append("\n")
        text.append_text(self._heading("Config samples"))
        text.append("\n  " + (", ".join(clean(sample) for sample in info.samples) or "none"))
        return text

    # -- actions -----------------------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh_node(self) -> None:
        self._refresh()

    def action_capacity(self) -> None:
        from vztui.ui.screens.capacity import CapacityScreen

        self.app.push_screen(CapacityScreen(self._cluster, self._node))

    def action_fix_node(self) -> None:
        """vz.conf path drift and missing directories, fixed after a confirmation showing the exact commands."""
        from vztui.ui.screens.nodefix import NodeFixScreen

        self.app.push_screen(NodeFixScreen(self._cluster, self._node), callback=lambda _done: self.render_all())

    @work(group="node-detail-refresh", exclusive=True)
    async def _refresh(self) -> None:
        try:
            await self._cluster.refresh(self._node)
        except (TransportError, KeyError, RuntimeError) as error:
            self.notify(f"{self._node}: refresh failed: {error}", severity="error", markup=False)
            return
        self.render_all()
