"""The log pane: the operation queue (state, node, CTIDs, command, duration) and the selected job's output,
streamed in ~50 ms batches, following the tail only while the reader is at the bottom.
"""

from __future__ import annotations

import shlex
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, Log

from vztui.backend.operation import Operation, OpState, ReadOnlyError
from vztui.backend.transport import OutputLine, Stream
from vztui.ui.backend_api import ClusterApi
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean
from vztui.ui.widgets.gauge import palette_of
from vztui.ui.widgets.quiet_static import QuietStatic

CSS_FILE = Path(__file__).with_suffix(".tcss")
"""Widgets cannot carry CSS_PATH: the screen or app hosting the pane lists this file in its own CSS_PATH."""

BATCH_SECONDS = 0.05
"""Output lines are collected this long before they reach the Log: one repaint per batch, not per line."""
MAX_LINES = 20_000
"""Lines of the selected job kept in the pane (the journal keeps everything)."""
STDERR_MARK = "! "
"""Prefix of stderr lines: the Log is plain text, and vzctl's errors arrive on stderr."""

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("state", "State", 9),
    ("node", "Node", 6),
    ("ctids", "CTIDs", 7),
    ("command", "Command", 36),
    ("time", "Time", 6),
)
WIDE = 140
"""From this many columns the queue sits beside the output; below it the two are stacked (80×24 stays usable)."""


def format_duration(seconds: float | None) -> str:
    """``0.4s``, ``12s``, ``3m05s``, ``2h10m``: one-second granularity at most, so idle rows stay quiet."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def command_text(op: Operation) -> str:
    """The exact argv as a shell would read it (what the user approved), cleaned for the terminal."""
    return clean(shlex.join(op.request.argv))


def ctids_text(ctids: Sequence[int]) -> str:
    if not ctids:
        return ""
    if len(ctids) <= 2:
        return ",".join(str(ctid) for ctid in ctids)
    return f"{ctids[0]},… ({len(ctids)})"


def line_text(line: OutputLine) -> str:
    text = clean(line.text)
    return STDERR_MARK + text if line.stream is Stream.STDERR else text


class OpsPane(Widget):
    """Operation queue plus the selected job's live output; retry/cancel go to the cluster, nothing else does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry job", id="ops.retry"),
        Binding("x", "cancel_job", "Cancel job", id="ops.cancel"),
        Binding("slash", "filter", "Filter output", id="ops.filter"),
        Binding("G", "follow", "Follow output", id="ops.follow"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="ops.clear_filter"),
    ]

    def __init__(
        self,
        cluster: ClusterApi,
        *,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._cluster = cluster
        self._clock = clock
        self._ops: dict[str, Operation] = {}
        self._cells: dict[str, tuple[str, ...]] = {}
        self._selected: str | None = None
        self._lines: deque[str] = deque(maxlen=MAX_LINES)
        self._pending: list[str] = []
        self._flush_timer: Timer | None = None
        self._unseen = 0
        self._filter = ""
        self._palette = Palette()
        self._wanted: str | None = None
        """A job to show as soon as it appears (the re-run the reader just asked for)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="ops-queue-box"):
            yield DataTable(id="ops-queue", cursor_type="row")
        with Vertical(id="ops-output-box"):
            yield QuietStatic(id="ops-title")
            yield Log(id="ops-log", max_lines=MAX_LINES, highlight=False)
            yield QuietStatic(id="ops-more")
            yield Input(id="ops-filter", placeholder="filter output lines (enter: keep, escape: clear)")

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")

    def on_mount(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")
        self._palette = palette_of(self.app)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        table = self._table
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#ops-filter", Input).display = False
        self.query_one("#ops-more", QuietStatic).display = False
        log = self._log
        self.watch(log, "scroll_y", self._on_log_scrolled, init=False)
        for op in self._cluster.operations():
            self.operation_changed(op)
        self.set_interval(1.0, self._tick_durations)
        self._render_title()

    def _theme_changed(self, _theme: object) -> None:
        self._palette = palette_of(self.app)
        for op in list(self._ops.values()):
            self.operation_changed(op)
        self._render_title()

    @property
    def _table(self) -> DataTable[Text]:
        return self.query_one("#ops-queue", DataTable)

    @property
    def _log(self) -> Log:
        return self.query_one("#ops-log", Log)

    # -- public API (the shell forwards ClusterListener callbacks here) -------------------------------------------

    @property
    def selected(self) -> str | None:
        """The id of the operation whose output is shown."""
        return self._selected

    @property
    def unseen_lines(self) -> int:
        """Lines that arrived below the visible part of the log while the reader was scrolled up."""
        return self._unseen

    def operation_changed(self, op: Operation) -> None:
        """Add or update the job's row; a new job is selected when the reader was on the newest one (or none)."""
        table = self._table
        follow_new = self._selected is None or self._selected == self._newest() or op.id == self._wanted
        cells = self._row_cells(op)
        signature = tuple(cell.plain + "\x00" + str(cell.style) for cell in cells)
        if op.id not in self._ops:
            self._ops[op.id] = op
            self._cells[op.id] = signature
            table.add_row(*cells, key=op.id)
            if follow_new:
                self._wanted = None
                table.move_cursor(row=table.row_count - 1)
                self.select(op.id)
        else:
            self._ops[op.id] = op
            if self._cells.get(op.id) != signature:
                self._update_row(op.id, cells, signature)
        if op.id == self._selected:
            self._render_title()

    def output_arrived(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        """Queue the lines of the selected job for the next batch; other jobs' output stays in the engine."""
        if op_id != self._selected or not lines:
            return
        self._pending.extend(line_text(line) for line in lines)
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(BATCH_SECONDS, self._flush)

    def select(self, op_id: str) -> None:
        """Show ``op_id``'s output: what the engine kept so far, then whatever streams in."""
        if op_id == self._selected or op_id not in self._ops:
            return
        self._selected = op_id
        self._pending.clear()
        self._lines.clear()
        self._log.clear()
        self._set_unseen(0)
        self._render_title()
        op = self._ops[op_id]
        if op.state.finished:
            self._load_output(op_id)
        else:
            self._show_loaded(op_id, self._cluster.output(op_id))

    @work(thread=True, exclusive=True, group="ops-output")
    def _load_output(self, op_id: str) -> None:
        """A finished job's output may come from the journal on disk: read it off the event loop."""
        loaded = self._cluster.output(op_id)
        self.app.call_from_thread(self._show_loaded, op_id, loaded)

    def _show_loaded(self, op_id: str, loaded: Sequence[OutputLine]) -> None:
        if op_id != self._selected:
            return
        self._pending[:0] = [line_text(line) for line in loaded]
        self._flush()

    # -- output batching, follow-tail and the "+N lines" indicator -------------------------------------------------

    def _flush(self) -> None:
        self._flush_timer = None
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self._lines.extend(batch)
        visible = self._matching(batch)
        if not visible:
            return
        log = self._log
        at_bottom = log.is_vertical_scroll_end or log.max_scroll_y == 0
        log.write_lines(visible, scroll_end=at_bottom)
        if not at_bottom:
            self._set_unseen(self._unseen + len(visible))

    def _matching(self, lines: Sequence[str]) -> list[str]:
        needle = self._filter.casefold()
        if not needle:
            return list(lines)
        return [line for line in lines if needle in line.casefold()]

    def _on_log_scrolled(self, _value: float) -> None:
        if self._unseen and self._log.is_vertical_scroll_end:
            self._set_unseen(0)

    def _set_unseen(self, count: int) -> None:
        self._unseen = count
        more = self.query_one("#ops-more", QuietStatic)
        more.display = count > 0
        if count:
            more.show(Text(f"+{count} lines below · G to follow", style=f"bold {self._palette.accent}"))

    # -- rows ----------------------------------------------------------------------------------------------------

    def _newest(self) -> str | None:
        return next(reversed(self._ops), None) if self._ops else None

    def _row_cells(self, op: Operation) -> tuple[Text, ...]:
        palette = self._palette
        state_style = {
            OpState.QUEUED: palette.muted,
            OpState.RUNNING: f"bold {palette.accent}",
            OpState.SUCCEEDED: palette.success,
            OpState.FAILED: f"bold {palette.error}",
            OpState.CANCELLED: palette.muted,
            OpState.INTERRUPTED: palette.warning,
            OpState.SKIPPED: palette.muted,
        }[op.state]
        state = op.state.value
        if op.state is OpState.FAILED and op.exit_code is not None:
            state = f"failed {op.exit_code}"
        return (
            Text(state, style=state_style, no_wrap=True),
            Text(clean(op.node), no_wrap=True, overflow="ellipsis"),
            Text(ctids_text(op.ctids), no_wrap=True, overflow="ellipsis"),
            Text(command_text(op), no_wrap=True, overflow="ellipsis"),
            Text(format_duration(self._duration(op)), no_wrap=True, justify="right"),
        )

    def _duration(self, op: Operation) -> float | None:
        if op.started_at is None:
            return None
        end = op.finished_at if op.finished_at is not None else self._clock()
        return max(0.0, end - op.started_at)

    def _update_row(self, op_id: str, cells: tuple[Text, ...], signature: tuple[str, ...]) -> None:
        old = self._cells.get(op_id, ())
        self._cells[op_id] = signature
        table = self._table
        for index, ((column, _label, _width), cell) in enumerate(zip(COLUMNS, cells, strict=True)):
            if index >= len(old) or old[index] != signature[index]:
                table.update_cell(op_id, column, cell)

    def _tick_durations(self) -> None:
        for op_id, op in self._ops.items():
            if op.state is OpState.RUNNING:
                cells = self._row_cells(op)
                signature = tuple(cell.plain + "\x00" + str(cell.style) for cell in cells)
                if self._cells.get(op_id) != signature:
                    self._update_row(op_id, cells, signature)

    def _render_title(self) -> None:
        palette = self._palette
        title = Text(no_wrap=True, overflow="ellipsis")
        op = self._ops.get(self._selected) if self._selected is not None else None
        if op is None:
            title.append("No operation yet: actions you confirm are queued here", style=palette.muted)
        else:
            title.append(f"{clean(op.node)}: ", style="bold")
            title.append(command_text(op))
            title.append(f"  {op.state.value}", style=palette.muted)
            if op.reason:
                title.append(f" · {clean(op.reason)}", style=palette.error if op.state is OpState.FAILED else "")
        if self._filter:
            title.append(f"  [filter: {self._filter}]", style=palette.accent)
        self.query_one("#ops-title", QuietStatic).show(title)

    # -- events and actions ------------------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is not self._table:
            return
        event.stop()
        if event.row_key.value is not None:
            self.select(event.row_key.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._log.focus()

    def _apply_filter(self, value: str) -> None:
        if value == self._filter:
            return
        self._filter = value
        self._flush()
        log = self._log
        log.clear()
        log.write_lines(self._matching(self._lines), scroll_end=True)
        self._set_unseen(0)
        self._render_title()

    def action_filter(self) -> None:
        field = self.query_one("#ops-filter", Input)
        field.display = True
        field.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#ops-filter", Input)
        if not field.display and not self._filter:
            return
        field.value = ""
        field.display = False
        self._apply_filter("")
        self._table.focus()

    def action_follow(self) -> None:
        self._log.scroll_end(animate=False, immediate=True)
        self._set_unseen(0)

    def action_retry(self) -> None:
        op = self._ops.get(self._selected) if self._selected is not None else None
        if op is None:
            return
        if not op.state.finished:
            self.notify(f"This job is still {op.state.value}: only a finished job can be run again.", markup=False)
            return
        self._retry(op.id)

    def action_cancel_job(self) -> None:
        op = self._ops.get(self._selected) if self._selected is not None else None
        if op is None:
            return
        if op.state.finished:
            self.notify(f"This job already finished ({op.state.value}).", markup=False)
            return
        self._cancel(op.id)

    @work(group="ops-intent")
    async def _retry(self, op_id: str) -> None:
        try:
            rerun = await self._cluster.retry(op_id)
        except ReadOnlyError as error:
            self.notify(str(error), title="Read-only", severity="error", markup=False)
            return
        except (KeyError, ValueError, RuntimeError) as error:
            self.notify(f"Cannot retry {op_id}: {error}", severity="error", markup=False)
            return
        if rerun.id in self._ops:
            self._table.move_cursor(row=list(self._ops).index(rerun.id))
            self.select(rerun.id)
        else:
            self._wanted = rerun.id

    @work(group="ops-intent")
    async def _cancel(self, op_id: str) -> None:
        try:
            cancelled = await self._cluster.cancel(op_id)
        except (KeyError, RuntimeError) as error:
            self.notify(f"Cannot cancel {op_id}: {error}", severity="error", markup=False)
            return
        if not cancelled:
            self.notify(f"Job {op_id} had already finished: nothing to cancel.", severity="warning", markup=False)
