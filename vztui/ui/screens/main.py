"""The main screen: header, node tree, container table, beancounter panel, log pane and status line.

Deltas flow down (``apply_delta``), intents flow out through the ActionRunner; every key is a registry command.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from vztui.backend.delta import compute_delta
from vztui.backend.operation import Operation
from vztui.backend.snapshot import FailcntIncrease, NearLimit, NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import OutputLine
from vztui.openvz.models import QuotaUsage
from vztui.openvz.presets import Preset
from vztui.ui.backend_api import ClusterApi
from vztui.ui.keymap import BY_ID, KeyCommand, palette_only, screen_bindings
from vztui.ui.no_links import NoAutoLinks, disable_auto_links
from vztui.ui.state.columns import DEFAULT_COLUMNS
from vztui.ui.state.failing import FailcntLog
from vztui.ui.state.palette import Palette
from vztui.ui.state.rows import row_key, split_key
from vztui.ui.widgets.ct_table import CtTable
from vztui.ui.widgets.filter_bar import FilterBar
from vztui.ui.widgets.header import HeaderBar, HeaderState
from vztui.ui.widgets.node_tree import NodeTally, NodeTree, needs_promised, summarise
from vztui.ui.widgets.status_bar import StatusBar, StatusState

if TYPE_CHECKING:
    from vztui.ui.operations import ActionRunner
    from vztui.ui.widgets.beancounters import BeancounterPanel
    from vztui.ui.widgets.ops_pane import OpsPane

FAILING_RECOUNT = 5.0
"""Seconds between recounts of the header's failing-now figure as old rises leave the window."""
PANEL_DELAY = 0.25
"""Seconds the cursor must rest before the beancounter panel re-renders for the new row: moving through the table
repaints only the table (one panel render costs about as much as twenty cursor moves)."""
HINTS: tuple[str, ...] = ("help", "filter", "failing", "ct_detail", "quit")
"""Commands the status line always names (with the user's keys)."""


class MainScreen(NoAutoLinks, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = screen_bindings()

    def __init__(
        self,
        cluster: ClusterApi,
        *,
        cluster_name: str,
        read_only: bool,
        keymap: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        columns: tuple[str, ...] = DEFAULT_COLUMNS,
        refresh_every: float | None = None,
        presets: Mapping[str, Preset] | None = None,
        after_deltas: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        """``after_deltas(callback)`` runs ``callback`` once the engine's deltas arriving now are all applied (the
        app's DeltaPacer): the table re-sorts by a live column once a tick through it."""
        super().__init__(id="main")
        self.cluster = cluster
        self.cluster_name = cluster_name
        self.read_only = read_only
        self.keymap = keymap
        self.clock = clock
        self._columns = columns
        self._refresh_every = refresh_every
        self._presets = presets
        self._after_deltas = after_deltas
        self.runner: ActionRunner | None = None
        self._table: CtTable | None = None
        self._panel: BeancounterPanel | None = None
        self._ops: OpsPane | None = None
        self._failcnt_log = FailcntLog()
        self._near: dict[str, tuple[NearLimit, ...]] = {}
        self._near_keys: dict[str, set[str]] = {}
        self._failing: int | None = None
        """The header's failing-now count, or None when it must be recounted."""
        self._last_increases: dict[str, tuple[FailcntIncrease, ...]] = {}
        self._refreshing = False
        self._counts: dict[str, tuple[int, int, int]] = {}
        self._sums: tuple[int, ...] = (0, 0, 0)
        """Nodes up, CTs running, CTs in total: the sums of ``_counts``."""
        self._tallies: dict[str, NodeTally] = {}
        self._panel_target: tuple[str, int] | None = None
        self._panel_timer: Timer | None = None
        self._panel_quota: QuotaUsage | None = None
        for binding_id, keys in palette_only(keymap).items():
            command = BY_ID[binding_id]
            self._bindings.bind(keys, command.action, command.title, show=False)

    # -- layout ------------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        for snapshot in self.cluster.snapshots().values():
            self._count(snapshot)
        yield HeaderBar(self._header_state(), id="header")
        with Horizontal(id="body"):
            yield NodeTree(self.cluster_name, self.cluster.nodes, id="nodes")
            with Vertical(id="centre"):
                yield FilterBar(id="filter")
                yield CtTable(columns=self._columns, clock=self.clock, defer_resort=self._after_deltas, id="cts")
        yield StatusBar([BY_ID[hint] for hint in HINTS], self.keymap, id="status")

    def on_mount(self) -> None:
        self.query_one(FilterBar).display = False
        self._table = self.query_one(CtTable)
        self._tree = self.query_one(NodeTree)
        self._header = self.query_one(HeaderBar)
        self.set_interval(FAILING_RECOUNT, self._age_failing)
        self.apply_palette(_palette_of(self))
        table = self.table
        table.load(self.cluster.snapshots().values())
        tree = self.query_one(NodeTree)
        for snapshot in self.cluster.snapshots().values():
            connecting = snapshot.taken_at == 0.0 and snapshot.health is NodeHealth.UNREACHABLE
            info = self.cluster.node_info(snapshot.node)
            tree.show_summary(summarise(snapshot, info, self._tallies[snapshot.node], connecting=connecting))
            found = compute_delta(None, snapshot).near_limit
            self._near[snapshot.node] = found
            self._near_keys[snapshot.node] = {row_key(near.node, near.ctid) for near in found}
        self._failing = None
        self._update_header()
        table.focus()
        self.call_after_refresh(self._mount_panels)

    async def _mount_panels(self) -> None:
        """The beancounter panel, the log pane and the action runner arrive right after the first frame: the
        header, tree and table are what the admin needs first, and the rest costs a tenth of a second."""
        from vztui.ui.operations import ActionRunner
        from vztui.ui.widgets.beancounters import BeancounterPanel
        from vztui.ui.widgets.ops_pane import OpsPane

        self.runner = ActionRunner(self.app, self.cluster, presets=self._presets)
        self._panel = BeancounterPanel(id="beancounters")
        self._ops = OpsPane(self.cluster, clock=self.clock, id="ops")
        await self.query_one("#centre").mount(self._panel)
        await self.mount(self._ops, before=self.query_one(StatusBar))
        disable_auto_links(self)
        self.refresh_bindings()
        if self.table.cursor_key is not None and self._panel_timer is None:
            self._panel_follows_cursor()

    def on_resize(self, event: events.Resize) -> None:
        """Narrow or short terminals (80×24 over SSH) give the table the space the tree and panels would take."""
        self.set_class(event.size.width < 110, "-narrow")
        self.set_class(event.size.height < 32, "-short")

    def on_unmount(self) -> None:
        """The runner stops listening to the cluster (which outlives this screen in tests and on reconnects)."""
        if self.runner is not None:
            self.runner.close()

    @property
    def table(self) -> CtTable:
        return self._table if self._table is not None else self.query_one(CtTable)

    @property
    def panel(self) -> BeancounterPanel | None:
        """None for the moment between the first frame and the panels' mount."""
        return self._panel

    @property
    def ops(self) -> OpsPane | None:
        return self._ops

    def apply_palette(self, palette: Palette) -> None:
        self.table.set_palette(palette)
        self.query_one(HeaderBar).set_palette(palette)
        self.query_one(NodeTree).set_palette(palette)
        self.query_one(StatusBar).set_palette(palette)

    # -- engine events (forwarded by the app) ------------------------------------------------------------------

    def apply_delta(self, delta: NodeDelta) -> None:
        """One node's tick: the table, the tree line, the failing count and (if it shows this node) the panel."""
        node = delta.node
        if delta.health_changed:
            self.table.set_node_stale(node, delta.snapshot.health is not NodeHealth.UP)
        self.table.apply_delta(delta)
        info = self.cluster.node_info(node)
        tally = self._tallies.get(node)
        if tally is None or tally.with_promised != needs_promised(info):
            tally = self._tallies[node] = NodeTally(delta.snapshot, with_promised=needs_promised(info))
        else:
            tally.apply(delta)
        self._tree.show_summary(summarise(delta.snapshot, info, tally))
        self._count(delta.snapshot)
        if delta.failcnt_increases:
            self._failcnt_log.add(delta.failcnt_increases)
        self._last_increases[node] = delta.failcnt_increases
        if delta.near_limit != self._near.get(node):
            self._near_keys[node] = {row_key(near.node, near.ctid) for near in delta.near_limit}
            self._failing = None
        elif delta.failcnt_increases:
            self._failing = None
        self._near[node] = delta.near_limit
        self._update_header()
        target = self._panel_target
        if target is not None and target[0] == node and self._panel_needs(delta, target[1]):
            self._show_panel(delta.snapshot, target[1])

    def operation_changed(self, op: Operation) -> None:
        """Forwarded to the log pane (before it is mounted it reads ``cluster.operations()`` when it mounts)."""
        if self._ops is not None and self._ops.is_mounted:
            self._ops.operation_changed(op)

    def output_arrived(self, op_id: str, lines: list[OutputLine] | tuple[OutputLine, ...]) -> None:
        if self._ops is not None and self._ops.is_mounted:
            self._ops.output_arrived(op_id, lines)

    # -- header, status, panel ---------------------------------------------------------------------------------

    def failing_keys(self) -> set[str]:
        """CTs the failing-now view lists: a failcnt rise in its window, or a resource at ≥ 90 % of its barrier."""
        return self._failcnt_log.failing_keys(self.clock()).union(*self._near_keys.values())

    def _failing_count(self) -> int:
        """Recounted only when a delta brought a rise or a different near-limit list, or a rise aged out."""
        if self._failing is None:
            self._failing = len(self.failing_keys())
        return self._failing

    def _age_failing(self) -> None:
        """Every few seconds: rises older than the window leave the count (the header changes only if it does)."""
        self._failing = None
        self._update_header()

    def _count(self, snapshot: NodeSnapshot) -> None:
        """Per-node figures for the header, kept as running sums so a delta costs O(1) here."""
        tally = self._tallies.get(snapshot.node)
        if tally is None:
            tally = self._tallies[snapshot.node] = NodeTally(snapshot)
        new = (int(snapshot.health is NodeHealth.UP), tally.running, len(snapshot.containers))
        old = self._counts.get(snapshot.node, (0, 0, 0))
        self._counts[snapshot.node] = new
        self._sums = tuple(total + n - o for total, n, o in zip(self._sums, new, old, strict=True))

    def _header_state(self) -> HeaderState:
        up, running, total = self._sums
        return HeaderState(
            cluster_name=self.cluster_name,
            nodes_up=up,
            nodes_total=len(self.cluster.nodes),
            running=running,
            total=total,
            failing=self._failing_count(),
            read_only=self.read_only,
            paused=self.cluster.paused,
            refreshing=self._refreshing,
            refresh_every=self._refresh_every,
        )

    def _update_header(self) -> None:
        self._header.show_state(self._header_state())

    def _update_status(self, message: str = "") -> None:
        table = self.table
        bar = self.query_one(FilterBar)
        self.query_one(StatusBar).show_state(
            StatusState(
                marked=len(table.marks),
                hidden_marked=table.hidden_marked,
                summary=table.summary,
                filter=bar.expression,
                scope=table.scope,
                message=message,
            )
        )

    def _panel_needs(self, delta: NodeDelta, ctid: int) -> bool:
        """Whether this delta changes what the panel shows for ``ctid`` (re-rendering it costs a whole frame)."""
        if ctid in delta.changed or delta.health_changed or ctid in delta.vanished or ctid in delta.appeared:
            return True
        if any(rise.ctid == ctid for rise in delta.failcnt_increases):
            return True
        return delta.snapshot.quota.get(ctid) != self._panel_quota

    def _show_panel(self, snapshot: NodeSnapshot | None, ctid: int | None) -> None:
        panel = self._panel
        if panel is None or not panel.is_mounted:
            return
        if snapshot is None or ctid is None:
            self._panel_target = None
            panel.show(None, None, (), lambda _resource: ())
            return
        node = snapshot.node
        self._panel_target = (node, ctid)
        self._panel_quota = snapshot.quota.get(ctid)
        increases = tuple(rise for rise in self._last_increases.get(node, ()) if rise.ctid == ctid)
        cluster = self.cluster
        panel.show(snapshot, ctid, increases, lambda resource: cluster.history(node, ctid, resource))

    @on(CtTable.ViewChanged)
    def _view_changed(self, event: CtTable.ViewChanged) -> None:
        event.stop()
        self._update_status()

    @on(CtTable.CursorMoved)
    def _cursor_moved(self, event: CtTable.CursorMoved) -> None:
        """The panel follows the cursor once it rests: holding a key paints only the table, not the panel."""
        event.stop()
        if self._panel_timer is not None:
            self._panel_timer.stop()
        self._panel_timer = self.set_timer(PANEL_DELAY, self._panel_follows_cursor)

    def _panel_follows_cursor(self) -> None:
        self._panel_timer = None
        key = self.table.cursor_key
        if key is None:
            self._show_panel(None, None)
            return
        node, ctid = split_key(key)
        self._show_panel(self.cluster.snapshots().get(node), ctid)

    @on(CtTable.HeaderClicked)
    def _header_clicked(self, event: CtTable.HeaderClicked) -> None:
        event.stop()
        self.sort_by_column(event.column)

    @on(CtTable.RowActivated)
    def _row_activated(self, event: CtTable.RowActivated) -> None:
        event.stop()
        self.action_ct_detail()

    @on(NodeTree.ScopeChanged)
    def _scope_changed(self, event: NodeTree.ScopeChanged) -> None:
        event.stop()
        self.table.set_scope(event.node)
        self.remove_class("-tree-open")
        self.table.focus()

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        event.stop()
        self.table.set_filter(event.compiled)

    @on(FilterBar.Closed)
    def _filter_closed(self, event: FilterBar.Closed) -> None:
        event.stop()
        self.table.focus()

    # -- which commands apply ----------------------------------------------------------------------------------

    def command_available(self, command: KeyCommand) -> bool:
        """Read-only hides mutating commands; actions the runner cannot run are hidden too."""
        if command.mutating and self.read_only:
            return False
        if command.container_action is not None:
            return self.runner is None or self.runner.available(command.container_action)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "ct_action" and parameters:
            command = BY_ID.get(str(parameters[0]))
            return command is not None and self.command_available(command)
        return True

    # -- actions -----------------------------------------------------------------------------------------------

    def action_ct_action(self, action_id: str) -> None:
        runner = self.runner
        command = BY_ID.get(action_id)
        if runner is None or command is None or not self.command_available(command):
            return
        if action_id == "create":
            node = self.table.scope
            if node is None and self.table.cursor_key is not None:
                node = split_key(self.table.cursor_key)[0]
            self.run_worker(runner.invoke_create(node), group="actions", exit_on_error=False)
            return
        table = self.table
        self.run_worker(
            runner.invoke(action_id, table.targets(), hidden_marked=table.hidden_marked if table.marks else 0),
            group="actions",
            exit_on_error=False,
        )

    def action_failing(self) -> None:
        from vztui.ui.screens.failing import FailingScreen

        screen = FailingScreen(
            self.cluster, failcnt_log=self._failcnt_log, near_limit=dict(self._near), clock=self.clock
        )
        self.app.push_screen(screen, callback=self.jump_to)

    def jump_to(self, target: tuple[str, int] | None) -> None:
        """Put the cursor on (node, ctid); a filter or scope hiding it is lifted first (and the admin told so)."""
        if target is None:
            return
        key = row_key(*target)
        table = self.table
        if table.move_cursor_to(key):
            table.focus()
            return
        if not table.has_row(key):
            self.notify(f"CT {target[1]} is no longer on {target[0]}", severity="warning", markup=False)
            return
        self.query_one(FilterBar).clear()
        table.set_filter(None)
        table.set_scope(None)
        table.move_cursor_to(key)
        table.focus()
        self.notify("Filter and node scope cleared to show the container", markup=False)

    def _cursor_target(self) -> tuple[str, int] | None:
        key = self.table.cursor_key
        return split_key(key) if key is not None else None

    def action_ct_detail(self) -> None:
        target = self._cursor_target()
        if target is None:
            return
        from vztui.ui.screens.ct_detail import CtDetailScreen

        self.app.push_screen(CtDetailScreen(self.cluster, target[0], target[1], clock=self.clock))

    def action_node_detail(self) -> None:
        tree = self.query_one(NodeTree)
        node: str | None = None
        if tree.has_focus and tree.cursor_node is not None:
            node = tree.cursor_node.data
        if node is None:
            node = self.table.scope
        if node is None:
            target = self._cursor_target()
            node = target[0] if target is not None else None
        if node is None:
            return
        from vztui.ui.screens.node_detail import NodeDetailScreen

        self.app.push_screen(NodeDetailScreen(self.cluster, node, clock=self.clock))

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def action_clear_filter(self) -> None:
        """Escape: first the filter goes, then the node scope."""
        bar = self.query_one(FilterBar)
        if bar.expression or bar.display:
            bar.clear()
        elif self.table.scope is not None:
            self.table.set_scope(None)
            self.query_one(NodeTree).move_cursor(self.query_one(NodeTree).root)
        self.table.focus()

    def sort_by_column(self, column: str) -> None:
        table = self.table
        if column == table.sort_column:
            table.sort_by(column, reverse=not table.sort_reverse)
        else:
            table.sort_by(column, reverse=False)

    def action_sort_next(self) -> None:
        table = self.table
        keys = [column.key for column in table.columns]
        index = keys.index(table.sort_column) if table.sort_column in keys else -1
        table.sort_by(keys[(index + 1) % len(keys)], reverse=False)

    def action_sort_reverse(self) -> None:
        self.table.sort_by(self.table.sort_column, reverse=not self.table.sort_reverse)

    def action_focus_tree(self) -> None:
        """On a narrow terminal the tree is hidden (the table needs the columns): ``t`` opens and closes it."""
        if self.has_class("-narrow"):
            self.toggle_class("-tree-open")
            if not self.has_class("-tree-open"):
                self.table.focus()
                return
        self.query_one(NodeTree).focus()

    def action_focus_log(self) -> None:
        ops = self.ops
        if ops is None:
            return
        if ops.has_focus_within:
            self.table.focus()
        else:
            ops.focus()
            if not ops.has_focus_within:
                ops.query_one("#ops-queue").focus()

    def action_toggle_beancounters(self) -> None:
        panel = self.panel
        if panel is not None:
            panel.display = not panel.display

    def action_refresh(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        self._update_header()
        self.run_worker(self.cluster.refresh(), group="refresh", name="refresh", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == "refresh" and worker.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self._refreshing = False
            self._update_header()
            if worker.state is WorkerState.ERROR:
                self.notify(f"Refresh failed: {worker.error}", severity="error", markup=False)
        elif worker.group == "actions" and worker.state is WorkerState.ERROR:
            self.notify(f"Action failed: {worker.error}", severity="error", markup=False)

    def action_pause(self) -> None:
        self.cluster.set_paused(not self.cluster.paused)
        self._update_header()
        self.notify("Refresh paused" if self.cluster.paused else "Refresh resumed", markup=False)

    def action_next_theme(self) -> None:
        from vztui.ui.app import next_theme

        self.app.theme = next_theme(self.app.theme)
        self.notify(f"Theme: {self.app.theme}", markup=False)

    def action_copy(self, what: str) -> None:
        """OSC 52: works over SSH into the admin's local clipboard (when the terminal allows it)."""
        key = self.table.cursor_key
        row = self.table.row(key) if key is not None else None
        if row is None:
            return
        if what == "ip":
            if not row.container.ips:
                self.notify(f"CT {row.ctid} has no IP address", severity="warning", markup=False)
                return
            value = row.container.ips[0]
        else:
            value = str(row.ctid)
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied {value}", markup=False)

    def action_help(self) -> None:
        from vztui.ui.widgets.help import HelpScreen

        self.app.push_screen(HelpScreen(self.keymap, read_only=self.read_only, available=self.command_available))

    def action_quit(self) -> None:
        """Quit, after asking when operations are still queued or running (stopping the engine kills them)."""
        pending = [op for op in self.cluster.operations() if not op.state.finished]
        if not pending:
            self.app.exit()
            return
        from vztui.ui.screens.quit import QuitScreen

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.app.exit()

        self.app.push_screen(QuitScreen(pending), callback=answered)

    def action_mark_toggle(self) -> None:
        self.table.toggle_mark()

    def action_mark_range(self) -> None:
        self.table.mark_range()

    def action_mark_all(self) -> None:
        self.table.mark_all()

    def action_mark_invert(self) -> None:
        self.table.invert_marks()

    def action_mark_clear(self) -> None:
        self.table.clear_marks()


def _palette_of(screen: Screen[None]) -> Palette:
    from vztui.ui.widgets.gauge import palette_of

    return palette_of(screen.app)
