"""The "failing now" view: every CT across the cluster whose failcnt rose recently or that sits at ≥ 90 % of a
barrier, most severe first, live, with what rose, by how much, when, and how its node is doing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer

from vztui.backend.delta import near_limits_of
from vztui.backend.snapshot import NearLimit, NodeDelta, NodeHealth, NodeSnapshot
from vztui.openvz.models import Beancounter, Container
from vztui.openvz.units import human_value
from vztui.ui.backend_api import ClusterApi, DeltaForwarder
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.failing import RECENT_WINDOW, FailcntLog, FailingEntry, format_age, rank_failing
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean
from vztui.ui.triage import ThrottleEntry, triage_book
from vztui.ui.widgets.gauge import palette_of
from vztui.ui.widgets.quiet_static import QuietStatic

REFRESH_DELAY = 0.25
"""Deltas of many nodes arrive in bursts: re-rank at most this often."""
AGE_INTERVAL = 5.0
"""Ages ("12s ago") and the recent window are re-evaluated this often even without deltas."""
NODE_PRESSURE_CTS = 3
"""This many failing CTs on one node suggest the node, not the CTs, is the problem."""

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("where", "Node/CTID", 12),
    ("name", "Name", 10),
    ("what", "Failing", 22),
    ("held", "Held/limit", 13),
    ("use", "Use", 5),
    ("when", "When", 6),
)


def current_near_limits(snapshots: Mapping[str, NodeSnapshot]) -> dict[str, tuple[NearLimit, ...]]:
    """Near-limit findings computed from snapshots, for the moment before the first delta arrives."""
    return {
        node: tuple(found for container in snap.containers.values() for found in near_limits_of(node, container))
        for node, snap in snapshots.items()
    }


def _triage_commands() -> type:
    from vztui.ui.triage import TriageCommands

    return TriageCommands


class FailingScreen(NoAutoLinks, Screen[tuple[str, int] | None]):
    """Dismisses with (node, CTID) on enter, None on escape; ``t`` throttles the highlighted CT's CPU (live) and ``u``
    undoes the latest throttle (of the highlighted CT, else of any), also from the command palette.

    Pass the app's ``failcnt_log`` (fed by every delta since start) to show rises from before the screen opened;
    without one the screen remembers only what happens while it is shown. ``near_limit`` (node → the latest
    delta's complete near-limit list) saves recomputing it from 10,000 containers when the screen opens.
    """

    CSS_PATH = "failing.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="failing.close"),
        Binding("enter", "jump", "Go to CT", id="failing.jump"),
        Binding("i", "ct_detail", "CT detail", id="failing.ct_detail"),
        Binding("n", "node_detail", "Node detail", id="failing.node_detail"),
        Binding("t", "throttle", "Throttle CPU", id="failing.throttle"),
        Binding("u", "undo_throttle", "Undo throttle", id="failing.undo_throttle"),
    ]
    COMMANDS: ClassVar = Screen.COMMANDS | {_triage_commands}

    def __init__(
        self,
        cluster: ClusterApi,
        *,
        failcnt_log: FailcntLog | None = None,
        near_limit: Mapping[str, tuple[NearLimit, ...]] | None = None,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._cluster = cluster
        self._shared_log = failcnt_log is not None
        self._log = failcnt_log if failcnt_log is not None else FailcntLog(window=RECENT_WINDOW)
        self._clock = clock
        self._near: dict[str, tuple[NearLimit, ...]] = dict(near_limit) if near_limit is not None else {}
        self._near_given = near_limit is not None
        self._entries: list[FailingEntry] = []
        self._cells: dict[str, tuple[str, ...]] = {}
        self._refresh_timer: Timer | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._palette = Palette()

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="failing-title")
        table: DataTable[Text] = DataTable(id="failing-table", cursor_type="row")
        yield table
        yield QuietStatic(id="failing-detail")
        yield Footer()

    def on_mount(self) -> None:
        self._palette = palette_of(self.app)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        table = self.query_one("#failing-table", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        if not self._near_given:
            self._near = current_near_limits(self._cluster.snapshots())
        self._unsubscribe = self._cluster.subscribe(DeltaForwarder(self.delta_arrived))
        self.set_interval(AGE_INTERVAL, self.rerank)
        self.rerank()
        table.focus()

    def _theme_changed(self, _theme: object) -> None:
        self._palette = palette_of(self.app)
        self.rerank()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- public API ----------------------------------------------------------------------------------------------

    @property
    def cluster(self) -> ClusterApi:
        return self._cluster

    @property
    def entries(self) -> list[FailingEntry]:
        """What the table shows, most severe first."""
        return list(self._entries)

    def delta_arrived(self, delta: NodeDelta) -> None:
        """Take one node's delta (rises, complete near-limit list) and re-rank soon."""
        if not self._shared_log:
            self._log.add(delta.failcnt_increases)
        self._near[delta.node] = delta.near_limit
        if self._refresh_timer is None:
            self._refresh_timer = self.set_timer(REFRESH_DELAY, self.rerank)

    def rerank(self) -> None:
        """Rebuild the ranking; rows are updated in place unless the order changed."""
        self._refresh_timer = None
        now = self._clock()
        snapshots = self._cluster.snapshots()
        self._entries = rank_failing(snapshots, self._log.recent(now), self._near, now=now)
        self._render_table(snapshots)
        self._render_title(snapshots)
        self._render_detail()

    # -- rendering -----------------------------------------------------------------------------------------------

    def _render_title(self, snapshots: Mapping[str, NodeSnapshot]) -> None:
        palette = self._palette
        entries = self._entries
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(" Failing now ", style=f"bold reverse {palette.error}" if entries else "bold reverse")
        nodes = {entry.node for entry in entries}
        rising = sum(1 for entry in entries if entry.rises)
        if entries:
            title.append(f"  {len(entries)} CTs on {len(nodes)} node{'s' if len(nodes) != 1 else ''}")
            title.append(f" · {rising} with failcnt rising in the last {int(self._log.window // 60)} min")
        else:
            title.append("  nothing failing", style=palette.success)
        down = [node for node, snap in snapshots.items() if snap.health is not NodeHealth.UP]
        if down:
            title.append(f" · not current: {', '.join(clean(node) for node in down)}", style=palette.warning)
        throttles = len(triage_book(self._cluster).entries)
        if throttles:
            title.append(f" · {throttles} throttle{'s' if throttles != 1 else ''} to undo (u)", style=palette.warning)
        self.query_one("#failing-title", QuietStatic).show(title)

    def _render_table(self, snapshots: Mapping[str, NodeSnapshot]) -> None:
        table: DataTable[Text] = self.query_one("#failing-table", DataTable)
        keys = [entry.key for entry in self._entries]
        rows = {entry.key: self._cells_for(entry, snapshots) for entry in self._entries}
        if keys != list(self._cells):
            current = self._highlighted_key()
            table.clear()
            self._cells = {}
            for key in keys:
                table.add_row(*rows[key], key=key)
                self._cells[key] = _signature(rows[key])
            if current in keys:
                table.move_cursor(row=keys.index(current), animate=False)
            return
        for key in keys:
            signature = _signature(rows[key])
            if self._cells.get(key) == signature:
                continue
            self._cells[key] = signature
            for (column, _label, _width), cell in zip(COLUMNS, rows[key], strict=True):
                table.update_cell(key, column, cell)

    def _cells_for(self, entry: FailingEntry, snapshots: Mapping[str, NodeSnapshot]) -> tuple[Text, ...]:
        palette = self._palette
        level_style = {
            "critical": palette.flash,
            "error": f"bold {palette.error}",
            "warning": palette.warning,
        }[entry.level]
        container = _container(snapshots, entry)
        resource, what = self._headline(entry)
        bc = container.resources.get(resource) if container is not None else None
        where = Text(f"{clean(entry.node)}/{entry.ctid}", style=level_style, no_wrap=True, overflow="ellipsis")
        held = Text(no_wrap=True, justify="right")
        use = Text(no_wrap=True, justify="right")
        if bc is not None:
            held.append(_held_of(bc))
            ratio = bc.usage_ratio
            if ratio is not None:
                use.append(f"{ratio * 100:.0f}%", style=palette.ratio_style(ratio))
        last = entry.last_rise
        when = Text(format_age(entry.now - last).removesuffix(" ago") if last is not None else "—", no_wrap=True)
        return (
            where,
            Text(clean(entry.name or entry.hostname), no_wrap=True, overflow="ellipsis"),
            what,
            held,
            use,
            when,
        )

    def _headline(self, entry: FailingEntry) -> tuple[str, Text]:
        """The resource to lead with (the latest rise, else the fullest) and a short phrase for it."""
        palette = self._palette
        text = Text(no_wrap=True, overflow="ellipsis")
        if entry.rises:
            top = entry.rises[0]
            text.append(f"{top.resource} +{top.increase}", style=f"bold {palette.error}")
            if top.events > 1:
                text.append(f" ×{top.events}")
            others = len(entry.rises) - 1 + sum(1 for near in entry.near if near.resource != top.resource)
            if others:
                text.append(f" +{others} more", style=palette.muted)
            return top.resource, text
        top_near = entry.near[0]
        text.append(f"{top_near.resource} near limit", style=palette.warning)
        if len(entry.near) > 1:
            text.append(f" +{len(entry.near) - 1} more", style=palette.muted)
        return top_near.resource, text

    def _highlighted_key(self) -> str | None:
        table: DataTable[Text] = self.query_one("#failing-table", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def _highlighted(self) -> FailingEntry | None:
        key = self._highlighted_key()
        return next((entry for entry in self._entries if entry.key == key), None)

    def _render_detail(self) -> None:
        detail = self.query_one("#failing-detail", QuietStatic)
        entry = self._highlighted()
        if entry is None:
            detail.show(
                Text(
                    "No failcnt rose in the last "
                    f"{int(self._log.window // 60)} minutes and no resource is at ≥ 90 % of its barrier.",
                    style=self._palette.muted,
                )
            )
            return
        detail.show(self._describe(entry, self._cluster.snapshots()))

    def _describe(self, entry: FailingEntry, snapshots: Mapping[str, NodeSnapshot]) -> Text:
        palette = self._palette
        snap = snapshots.get(entry.node)
        container = _container(snapshots, entry)
        text = Text(overflow="ellipsis", no_wrap=True)
        text.append(f"CT {entry.ctid}", style="bold")
        if entry.name:
            text.append(f" {clean(entry.name)}")
        if entry.hostname:
            text.append(f" ({clean(entry.hostname)})", style=palette.muted)
        if container is not None:
            text.append(f" · {container.status.value}")
        if snap is not None and entry.ctid in snap.cpu_percent:
            text.append(f" · CPU {snap.cpu_percent[entry.ctid]:.1f}%")
        risen = set()
        for item in entry.rises:
            risen.add(item.resource)
            bc = container.resources.get(item.resource) if container is not None else None
            text.append("\n▲ ", style=f"bold {palette.error}")
            text.append(f"{item.resource:<12}", style="bold")
            text.append(f" failcnt {item.failcnt - item.increase} → {item.failcnt} (+{item.increase}")
            text.append(
                f" in {item.events} tick{'s' if item.events != 1 else ''}, last {format_age(entry.now - item.last_at)})"
            )
            if bc is not None:
                text.append(f"  held {_held_of(bc)}", style=palette.ratio_style(bc.usage_ratio))
        for near in entry.near:
            if near.resource in risen:
                continue
            bc = container.resources.get(near.resource) if container is not None else None
            text.append("\n● ", style=palette.warning)
            text.append(f"{near.resource:<12}", style="bold")
            text.append(f" at {near.ratio * 100:.0f}% of its limit", style=palette.ratio_style(near.ratio))
            if bc is not None:
                text.append(f"  held {_held_of(bc)}")
        throttle = triage_book(self._cluster).latest((entry.node, entry.ctid))
        if throttle is not None and (throttle.node, throttle.ctid) == (entry.node, entry.ctid):
            text.append(f"\n⏬ throttled to cpulimit {throttle.applied} (live): u undoes it", style=palette.warning)
        text.append("\n")
        text.append_text(self._node_context(entry.node, snap))
        return text

    def _node_context(self, node: str, snap: NodeSnapshot | None) -> Text:
        palette = self._palette
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{clean(node)}: ", style="bold")
        if snap is None:
            text.append("unknown node", style=palette.error)
            return text
        if snap.health is NodeHealth.UP:
            text.append("up", style=palette.success)
        elif snap.health is NodeHealth.STALE:
            stamp = time.strftime("%H:%M:%S", time.localtime(snap.taken_at))
            text.append(f"stale since {stamp}: values may be old", style=palette.warning)
        else:
            text.append(f"unreachable: {clean(snap.error)}", style=palette.error)
        if snap.loadavg is not None:
            text.append(f" · load {snap.loadavg.one:.2f}")
        text.append(f" · {snap.running_count}/{len(snap.containers)} CTs running")
        same_node = sum(1 for entry in self._entries if entry.node == node)
        style = f"bold {palette.error}" if same_node >= NODE_PRESSURE_CTS else ""
        text.append(f" · {same_node} failing here", style=style)
        if same_node >= NODE_PRESSURE_CTS:
            text.append(" (node-wide pressure?)", style=style)
        return text

    # -- events and actions ------------------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._render_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_jump()

    def action_jump(self) -> None:
        entry = self._highlighted()
        if entry is not None:
            self.dismiss((entry.node, entry.ctid))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_ct_detail(self) -> None:
        from vztui.ui.screens.ct_detail import CtDetailScreen

        entry = self._highlighted()
        if entry is not None:
            self.app.push_screen(CtDetailScreen(self._cluster, entry.node, entry.ctid, clock=self._clock))

    def action_throttle(self) -> None:
        entry = self._highlighted()
        if entry is not None:
            self.run_worker(self._throttle(entry.node, entry.ctid), group="failing-triage", exit_on_error=False)

    def action_undo_throttle(self) -> None:
        entry = self._highlighted()
        found = triage_book(self._cluster).latest((entry.node, entry.ctid) if entry is not None else None)
        if found is None:
            self.notify("No throttle to undo", markup=False)
            return
        self.undo_throttle(found)

    def undo_throttle(self, entry: ThrottleEntry) -> None:
        """Undo one recorded throttle (the command palette's entries call this)."""
        self.run_worker(self._undo(entry), group="failing-triage", exit_on_error=False)

    async def _throttle(self, node: str, ctid: int) -> None:
        from vztui.ui.triage import throttle

        try:
            await throttle(self.app, self._cluster, node, ctid)
        except Exception as error:  # a flow must never take the screen down
            self.notify(f"Throttle of CT {ctid} failed: {error}", severity="error", markup=False)
        self.rerank()

    async def _undo(self, entry: ThrottleEntry) -> None:
        from vztui.ui.triage import undo

        try:
            await undo(self.app, self._cluster, entry)
        except Exception as error:
            self.notify(f"Undo of the throttle of CT {entry.ctid} failed: {error}", severity="error", markup=False)
        self.rerank()

    def action_node_detail(self) -> None:
        from vztui.ui.screens.node_detail import NodeDetailScreen

        entry = self._highlighted()
        if entry is not None:
            self.app.push_screen(NodeDetailScreen(self._cluster, entry.node, clock=self._clock))


def _container(snapshots: Mapping[str, NodeSnapshot], entry: FailingEntry) -> Container | None:
    snap = snapshots.get(entry.node)
    return snap.containers.get(entry.ctid) if snap is not None else None


def _held_of(bc: Beancounter) -> str:
    unit = bc.unit
    bound = bc.effective_limit
    return f"{human_value(bc.held, unit)}/{human_value(bound, unit) if bound is not None else '∞'}"


def _signature(cells: Sequence[Text]) -> tuple[str, ...]:
    return tuple(f"{cell.plain}\x00{cell.style}\x00{cell.spans!r}" for cell in cells)
