"""The cluster-wide container table: a Line-API widget that renders only the rows on screen.

Why not ``DataTable``: every ``update_cell`` there bumps one global counter that drops the caches of *all* rows,
and ``remove_row`` is O(rows), so a 10,000-row table filtered or ticked every 2 s redraws everything. Here each
delta updates the changed rows' model and forgets only their changed cells; a row's line is rebuilt lazily when
it is next on screen, and the cursor is a style laid over the cached line, so moving it costs two lines.
"""

from __future__ import annotations

import time
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vztui.backend.snapshot import NodeDelta, NodeSnapshot
from vztui.filters import ContainerFilter
from vztui.ui.keymap import table_bindings
from vztui.ui.state.columns import COLUMNS, DEFAULT_COLUMNS, ColumnSpec, format_uptime, sort_key, uptime_of
from vztui.ui.state.marks import Marks
from vztui.ui.state.palette import Palette
from vztui.ui.state.rows import CtRow, row_key, split_key

GUTTER = 2
"""Mark glyph plus a space before the first column."""
SEPARATOR = 1
MARK_GLYPH = "●"
BULK_CHANGES = 64
"""Rows appearing or vanishing in one delta beyond which one full sort beats inserting them one by one."""
_AFFECTED_MAX = 256
"""Distinct sets of changed fields remembered (a handful occur; the cap only bounds what odd data could add)."""
_ALL = frozenset({"*"})
_UPTIME = frozenset({"uptime"})
_STALE = Style(dim=True, italic=True)
"""Pseudo field set meaning "every column is dirty" (a row that just appeared)."""


class CtTable(ScrollView, can_focus=True):
    """Containers of every node, keyed by ``row_key(node, ctid)``; filter, scope, sort, marks and a cursor by key."""

    BINDINGS: ClassVar[list[BindingType]] = table_bindings()

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ct-table--header",
        "ct-table--cursor",
        "ct-table--marked",
        "ct-table--sorted",
    }

    class CursorMoved(Message):
        """The cursor now sits on ``key`` (None: the table shows no rows)."""

        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    class RowActivated(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class HeaderClicked(Message):
        """A click on a column label: sort by it (again: reverse)."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class ViewChanged(Message):
        """Rows shown, marks, sort or filter changed: the status line re-reads ``summary``."""

    def __init__(
        self,
        *,
        columns: Sequence[str] = DEFAULT_COLUMNS,
        clock: Callable[[], float] = time.time,
        defer_resort: Callable[[Callable[[], None]], None] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._clock = clock
        self._columns: tuple[ColumnSpec, ...] = tuple(COLUMNS[key] for key in columns if key in COLUMNS)
        self._offsets: list[int] = []
        x = GUTTER
        for column in self._columns:
            self._offsets.append(x)
            x += column.width + SEPARATOR
        self._line_width = x
        self.palette = Palette()
        self.marks = Marks()
        self._rows: dict[str, CtRow] = {}
        self._cells: dict[str, dict[str, Text]] = {}
        self._lines: dict[str, Strip] = {}
        self._header: Strip | None = None
        self._members: set[str] = set()
        self._order: list[str] = []
        self._sort_cache: dict[str, Any] = {}
        self._node_rank: dict[str, int] = {}
        self._node_span = 64
        self._flashing: dict[str, set[str]] = {}
        self._filter: ContainerFilter | None = None
        self._scope: str | None = None
        self.sort_column = "ctid"
        self.sort_reverse = False
        self.cursor_key: str | None = None
        self._cursor_chosen = False
        """False until the admin moves the cursor: until then it stays on the first row while rows pour in."""
        self._anchor: str | None = None
        self._order_dirty = False
        """The order must be rebuilt before the current batch ends (a new sort, filter or many rows at once)."""
        self._order_stale = False
        """A shown row's sort value changed, so ``_order`` is stale: it is sorted once, when next read or once the
        tick's deltas are all in. Sorted by a live column (CPU %, a held value) rows change places on every tick;
        moving each one by itself (two binary searches and a memmove) and repainting after every node's delta cost
        more than one sort of the nearly sorted order and one repaint (10,000 rows by CPU %, 5 % of cells changing:
        54 ms of UI CPU a tick moving rows one by one, 41-42 ms sorting once)."""
        self._resort_scheduled = False
        self._defer_resort = defer_resort
        """How a stale order's sort is put off (default: the next message this widget handles); the main screen
        passes the app's "once the tick's deltas are all in", so a tick applied in slices is sorted once."""
        self._shape_changed = False
        self._cursor_screen_row: int | None = None
        self._on_screen: dict[str, int] | None = None
        """While a batch runs: the rows on screen and their lines (see ``_begin_batch``)."""
        self._affected: dict[frozenset[str], tuple[tuple[str, ...], tuple[int, int] | None]] = {}
        """``_columns_of`` by set of changed fields (the columns are fixed for the table's life)."""
        self._dirty_lines: dict[int, tuple[int, int] | None] = {}
        """While a batch runs: screen line → the content columns (start, end) that changed there (None: all)."""
        self._stale_nodes: set[str] = set()

    # -- columns and geometry ----------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[ColumnSpec, ...]:
        return self._columns

    def on_mount(self) -> None:
        self.virtual_size = Size(self._line_width, 1)
        self.set_interval(60.0, self._age_uptimes)

    def set_palette(self, palette: Palette) -> None:
        """A new theme: every cached cell and line is stale (rebuilt lazily, on screen only)."""
        self.palette = palette
        self._cells.clear()
        self._lines.clear()
        self._header = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()
        self._header = None

    # -- the model ---------------------------------------------------------------------------------------------

    def load(self, snapshots: Iterable[NodeSnapshot]) -> None:
        """Add every container of these snapshots (the rows the table starts with)."""
        self._begin_batch()
        self._order_dirty = True
        for snapshot in snapshots:
            for ctid in snapshot.containers:
                key = self._upsert(snapshot, ctid)
                if key is not None:
                    self._touch(key, _ALL)
        self._finish_batch()

    def apply_delta(self, delta: NodeDelta) -> None:
        """One node's tick: only its appeared, vanished and changed rows are touched."""
        snapshot = delta.snapshot
        node = delta.node
        self._begin_batch()
        if len(delta.appeared) + len(delta.vanished) > BULK_CHANGES:
            self._order_dirty = True
        touched: dict[str, frozenset[str]] = {}
        for ctid in delta.vanished:
            self._remove(row_key(node, ctid))
        for ctid in delta.appeared:
            key = self._upsert(snapshot, ctid)
            if key is not None:
                touched[key] = _ALL
        rows = self._rows
        containers = snapshot.containers
        cpu_percent = snapshot.cpu_percent
        started_at = snapshot.started_at
        for ctid, fields in delta.changed.items():
            key = f"{node}/{ctid}"
            row = rows.get(key)
            container = containers.get(ctid)
            if row is None or container is None:
                continue
            row.container = container
            row.cpu = cpu_percent.get(ctid)
            started = started_at.get(ctid)
            if started != row.started_at:
                row.started_at = started
                fields = fields | _UPTIME  # noqa: PLW2901 - the row's uptime changed too
            previous = touched.get(key)
            touched[key] = fields if previous is None else previous | fields
        self._flash(node, delta, touched)
        for key, fields in touched.items():
            self._touch(key, fields)
        self._finish_batch()

    def _flash(self, node: str, delta: NodeDelta, touched: dict[str, frozenset[str]]) -> None:
        """failcnt Δ lasts exactly one tick of the row's node: set for rises now, cleared for last tick's."""
        rises: dict[str, int] = {}
        for rise in delta.failcnt_increases:
            key = row_key(node, rise.ctid)
            rises[key] = rises.get(key, 0) + rise.increase
        previous = self._flashing.get(node, set())
        for key in previous - rises.keys():
            row = self._rows.get(key)
            if row is not None and row.fail_delta:
                row.fail_delta = 0
                touched[key] = touched.get(key, frozenset()) | {"faildelta"}
        for key, amount in rises.items():
            row = self._rows.get(key)
            if row is not None:
                row.fail_delta = amount
                touched[key] = touched.get(key, frozenset()) | {"faildelta"}
        self._flashing[node] = set(rises)

    def _upsert(self, snapshot: NodeSnapshot, ctid: int) -> str | None:
        container = snapshot.containers.get(ctid)
        if container is None:
            return None
        key = row_key(snapshot.node, ctid)
        row = self._rows.get(key)
        if row is None:
            row = CtRow(key, snapshot.node, ctid, container)
            self._rows[key] = row
        row.container = container
        row.cpu = snapshot.cpu_percent.get(ctid)
        row.started_at = snapshot.started_at.get(ctid)
        return key

    def _remove(self, key: str) -> None:
        if self._rows.pop(key, None) is None:
            return
        self._cells.pop(key, None)
        self._lines.pop(key, None)
        if key in self._members:
            self._leave_order(key)
            self._members.discard(key)
            self._shape_changed = True
        self._sort_cache.pop(key, None)
        self.marks.unmark([key])

    def _touch(self, key: str, fields: frozenset[str]) -> None:
        """Forget the cells that depend on ``fields``; re-check the filter and the sort value of this row."""
        row = self._rows[key]
        everything = fields is _ALL
        affected: tuple[str, ...] = ()
        span: tuple[int, int] | None = None
        if not everything:
            known = self._affected.get(fields)
            affected, span = known if known is not None else self._columns_of(fields)
        cells = self._cells.get(key)
        if cells is not None:
            if everything:
                cells.clear()
            else:
                for column_key in affected:
                    cells.pop(column_key, None)
        self._lines.pop(key, None)
        was_member = key in self._members
        member = self._matches(row)
        if not member:
            if was_member:
                self._leave_order(key)
                self._members.discard(key)
                self._shape_changed = True
            # Sort keys are kept for shown rows only: a hidden row's would go stale while it is hidden.
            self._sort_cache.pop(key, None)
            return
        spec = COLUMNS[self.sort_column]
        cached = self._sort_cache.get(key)
        fresh = everything or cached is None or spec.depends & fields
        value = self._sort_key(row, spec) if fresh else cached
        if was_member and value == cached:
            if everything:
                self._refresh_key(key)
            elif span is not None:  # else nothing shown depends on what changed
                self._refresh_key(key, span)
            return
        if was_member and not self._order_dirty:
            self._order_stale = True
        self._sort_cache[key] = value
        self._members.add(key)
        self._join_order(key)
        self._shape_changed = True

    def _leave_order(self, key: str) -> None:
        """Take a row out of the sorted order (O(log n) to find, a memmove to close the gap)."""
        if self._order_dirty or self._order_stale:
            return
        order = self._order
        index = bisect_left(order, self._sort_cache[key], key=self._sort_cache.__getitem__)
        if index < len(order) and order[index] == key:
            del order[index]
        else:
            self._order_dirty = True

    def _join_order(self, key: str) -> None:
        if not (self._order_dirty or self._order_stale):
            insort(self._order, key, key=self._sort_cache.__getitem__)

    def _matches(self, row: CtRow) -> bool:
        if self._scope is not None and row.node != self._scope:
            return False
        flt = self._filter
        return flt is None or flt(row.container, row.node, row.cpu)

    def _rank(self, row: CtRow) -> int:
        """Tie-breaker: CTID, then node name, ascending (an integer so it can be negated for reverse sorts)."""
        rank = self._node_rank.get(row.node)
        if rank is None:
            names = sorted({*self._node_rank, row.node})
            self._node_span = max(self._node_span, len(names) + 1)
            self._node_rank = {name: index for index, name in enumerate(names)}
            self._sort_cache.clear()
            self._order_dirty = True
            rank = self._node_rank[row.node]
        return row.ctid * self._node_span + rank

    def _sort_key(self, row: CtRow, spec: ColumnSpec) -> tuple[Any, ...]:
        return sort_key(spec.sort_value(row, self._clock()), self._rank(row), reverse=self.sort_reverse)

    # -- the displayed order -------------------------------------------------------------------------------------
    #
    # ``_order`` holds the shown rows sorted ascending by their sort key; a reversed sort displays it back to front
    # (``sort_key`` already makes ties and empty values come out right either way). Every sort key is unique (the
    # rank is part of it), so a row's position is a binary search away and no index needs maintaining.

    def _position(self, key: str | None) -> int | None:
        """The display row of ``key`` (0 = first under the header), or None when it is not shown."""
        if key is None or key not in self._members or self._order_dirty or self._order_stale:
            return None
        order = self._order
        index = bisect_left(order, self._sort_cache[key], key=self._sort_cache.__getitem__)
        if index >= len(order) or order[index] != key:
            return None
        return len(order) - 1 - index if self.sort_reverse else index

    def _key_at(self, position: int) -> str:
        order = self._order
        return order[len(order) - 1 - position] if self.sort_reverse else order[position]

    def _begin_batch(self) -> None:
        """Remember where the cursor sits on screen, so re-sorting rows around it does not make the view jump, and
        which rows are on screen, so a changed row costs a set lookup unless it is visible. While the order is stale
        the cursor's screen row is the one recorded before it went stale, and the whole table repaints anyway."""
        self._shape_changed = False
        self._dirty_lines = {}
        if self._order_stale:
            self._on_screen = {}
            return
        top = int(self.scroll_y)
        position = self._position(self.cursor_key)
        self._cursor_screen_row = None if position is None else position - top
        self._on_screen = self._screen_lines(top)

    def _screen_lines(self, top: int) -> dict[str, int]:
        """Row key → screen line (1 = first row under the header) of the rows now on screen."""
        if self._order_dirty or self._order_stale:
            return {}
        count = min(max(0, self.size.height - 1), max(0, len(self._order) - top))
        return {self._key_at(top + offset): offset + 1 for offset in range(count)}

    def _finish_batch(self) -> None:
        on_screen, self._on_screen = self._on_screen, None
        if self._order_dirty:
            self._full_sort()
            self._shape_changed = True
        if self._order_stale:
            # Sorted once the deltas already queued behind this one are in (or when something reads the order);
            # repainted then, not before: a frame between two slices of a tick would show a half-sorted table.
            self.virtual_size = Size(self._line_width, len(self._members) + 1)
            if not self._resort_scheduled:
                self._resort_scheduled = True
                (self._defer_resort or self.call_later)(self._resort)
        elif self._shape_changed:
            self._settle_view()
        elif on_screen is not None and self._dirty_lines:
            self.refresh(*self._changed_regions())
        self.post_message(self.ViewChanged())

    def _resort(self) -> None:
        self._resort_scheduled = False
        if not self.is_mounted:
            return
        if self._order_stale:
            self._full_sort()
        self._settle_view()

    def _sync(self) -> None:
        """Sort a stale order before it is read (outside a batch: inside one, stale means "not yet")."""
        if self._order_stale and self._on_screen is None:
            self._full_sort()
            self._settle_view()

    def _full_sort(self) -> None:
        self._order_dirty = False
        self._order_stale = False
        spec = COLUMNS[self.sort_column]
        cache = self._sort_cache
        for key in self._members:
            if key not in cache:
                cache[key] = self._sort_key(self._rows[key], spec)
        # Start from the previous order: after live moves it is nearly sorted, which Timsort finishes in ~n steps.
        members = self._members
        order = [key for key in self._order if key in members]
        if len(order) != len(members):
            order.extend(members.difference(order))
        order.sort(key=cache.__getitem__)
        self._order = order

    def _settle_view(self) -> None:
        """After rows moved: size, cursor (kept on its row, or the nearest one) and scroll position."""
        order = self._order
        self.virtual_size = Size(self._line_width, len(order) + 1)
        screen_row = self._cursor_screen_row
        cursor_moved = False
        if not self._cursor_chosen and order and self.cursor_key != self._key_at(0):
            self.cursor_key = self._key_at(0)
            screen_row = 0
            cursor_moved = True
        elif order and self._position(self.cursor_key) is None:
            fallback = min(int(self.scroll_y) + (screen_row or 0), len(order) - 1)
            self.cursor_key = self._key_at(max(0, fallback))
            cursor_moved = True
        elif not order and self.cursor_key is not None:
            self.cursor_key = None
            cursor_moved = True
        position = self._position(self.cursor_key)
        if position is not None and screen_row is not None and position - screen_row != int(self.scroll_y):
            self.scroll_to(y=max(0, position - screen_row), animate=False, immediate=True)
        self._keep_cursor_visible()
        self.refresh()
        if cursor_moved:
            self.post_message(self.CursorMoved(self.cursor_key))

    # -- filter, scope, sort -----------------------------------------------------------------------------------

    @property
    def filter(self) -> ContainerFilter | None:
        return self._filter

    @property
    def scope(self) -> str | None:
        return self._scope

    def set_filter(self, flt: ContainerFilter | None) -> None:
        self._filter = None if flt is None or flt.empty else flt
        self._recompute_members()

    def set_scope(self, node: str | None) -> None:
        self._scope = node
        self._recompute_members()

    def _recompute_members(self) -> None:
        self._begin_batch()
        self._members = {key for key, row in self._rows.items() if self._matches(row)}
        self._sort_cache.clear()
        self._order_dirty = True
        self._finish_batch()

    def sort_by(self, column: str, *, reverse: bool | None = None) -> None:
        if column not in COLUMNS:
            raise KeyError(column)
        self.sort_column = column
        if reverse is not None:
            self.sort_reverse = reverse
        self._begin_batch()
        self._sort_cache.clear()
        self._header = None
        self._order_dirty = True
        self._finish_batch()

    # -- queries -----------------------------------------------------------------------------------------------

    @property
    def order(self) -> Sequence[str]:
        """Keys of the shown rows, in display order (a copy: O(rows), for bulk marks and tests)."""
        self._sync()
        return self._order[::-1] if self.sort_reverse else list(self._order)

    @property
    def total(self) -> int:
        return len(self._rows)

    def row(self, key: str) -> CtRow | None:
        return self._rows.get(key)

    def has_row(self, key: str) -> bool:
        return key in self._rows

    @property
    def hidden_marked(self) -> int:
        """Marked rows the filter or scope hides right now (a bulk action still includes them)."""
        if not self.marks:
            return 0
        return sum(1 for key in self.marks.keys if key not in self._members)

    def targets(self) -> list[tuple[str, int]]:
        """What an action applies to: every marked row (by CTID), else the cursor's row."""
        if self.marks:
            keys = sorted(self.marks.keys, key=lambda key: self._rank(self._rows[key]) if key in self._rows else 0)
            return [split_key(key) for key in keys]
        if self.cursor_key is None:
            return []
        return [split_key(self.cursor_key)]

    def cell_text(self, key: str, column: str) -> str:
        """The plain text of a cell as shown (tests and copy use it)."""
        return self._cell(key, COLUMNS[column]).plain

    # -- cursor ------------------------------------------------------------------------------------------------

    @property
    def cursor_index(self) -> int | None:
        self._sync()
        return self._position(self.cursor_key)

    def move_cursor_to(self, key: str) -> bool:
        """Put the cursor on ``key`` if it is shown; returns False when the filter or scope hides it."""
        self._sync()
        if self._position(key) is None:
            return False
        self._set_cursor(key)
        return True

    def _set_cursor(self, key: str | None) -> None:
        self._cursor_chosen = True
        old = self.cursor_key
        if key == old:
            return
        self.cursor_key = key
        for changed in (old, key):
            self._refresh_key(changed)
        self._keep_cursor_visible()
        self.post_message(self.CursorMoved(key))

    def _move(self, step: int) -> None:
        self._sync()
        if not self._order:
            return
        index = self.cursor_index
        target = 0 if index is None else max(0, min(len(self._order) - 1, index + step))
        self._set_cursor(self._key_at(target))

    @property
    def _page(self) -> int:
        return max(1, self.size.height - 2)

    def _keep_cursor_visible(self) -> None:
        index = self.cursor_index
        if index is None:
            return
        rows = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + rows:
            self.scroll_to(y=index - rows + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_page_up(self) -> None:
        self._move(-self._page)

    def action_page_down(self) -> None:
        self._move(self._page)

    def action_first(self) -> None:
        self._move(-len(self._order))

    def action_last(self) -> None:
        self._move(len(self._order))

    def action_scroll_columns_left(self) -> None:
        self.scroll_to(x=max(0, self.scroll_x - 8), animate=False)

    def action_scroll_columns_right(self) -> None:
        self.scroll_to(x=self.scroll_x + 8, animate=False)

    def action_activate(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.RowActivated(self.cursor_key))

    def column_at(self, x: int) -> ColumnSpec | None:
        """The column under screen column ``x`` (scrolling included), or None for the gutter and separators."""
        content_x = x + int(self.scroll_x)
        for column, offset in zip(self._columns, self._offsets, strict=True):
            if offset <= content_x < offset + column.width:
                return column
        return None

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            column = self.column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column.key))
            return
        self._sync()
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < len(self._order):
            key = self._key_at(index)
            self._set_cursor(key)
            if event.chain >= 2:
                self.post_message(self.RowActivated(key))

    # -- marks -------------------------------------------------------------------------------------------------

    def _remark(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._lines.pop(key, None)
            self._refresh_key(key)
        self.post_message(self.ViewChanged())

    def toggle_mark(self) -> None:
        """Mark or unmark the cursor's row and step down (space, space, space marks a run)."""
        key = self.cursor_key
        if key is None:
            return
        self.marks.toggle(key)
        self._anchor = key
        self._remark([key])
        self._move(1)

    def mark_range(self) -> None:
        """Mark every shown row between the last toggled row and the cursor."""
        self._sync()
        key = self.cursor_key
        if key is None:
            return
        here = self._position(key)
        there = self._position(self._anchor)
        if here is None:
            return
        low, high = sorted((here, here if there is None else there))
        self._remark(self.marks.mark(self._key_at(position) for position in range(low, high + 1)))

    def mark_all(self) -> None:
        """Mark every row the filter and scope show."""
        self._sync()
        self._remark(self.marks.mark(self._order))

    def invert_marks(self) -> None:
        self._sync()
        self._remark(self.marks.invert(self._order))

    def clear_marks(self) -> None:
        self._remark(self.marks.clear())

    # -- rendering ---------------------------------------------------------------------------------------------

    def _refresh_key(self, key: str | None, span: tuple[int, int] | None = None) -> None:
        """Repaint the row of ``key`` if it is on screen (nothing else); inside a batch, once at its end and only
        ``span`` of it (content columns start, end) when given: a tick that moves the CPU % of ten rows then
        rewrites ten CPU cells on the terminal, not ten whole lines."""
        on_screen = self._on_screen
        if on_screen is not None:
            if key is not None and key in on_screen:
                y = on_screen[key]
                dirty = self._dirty_lines
                if span is None or (y in dirty and dirty[y] is None):
                    dirty[y] = None
                else:
                    known = dirty.get(y)
                    dirty[y] = span if known is None else (min(known[0], span[0]), max(known[1], span[1]))
            return
        position = self._position(key)
        if position is not None:
            self._refresh_index(position)

    def _columns_of(self, fields: frozenset[str]) -> tuple[tuple[str, ...], tuple[int, int] | None]:
        """The shown columns whose cells depend on ``fields``, and the content columns (start, end) they span
        (None when no shown cell does). Remembered per set of fields: a tick brings the same few sets thousands of
        times, and asking every column every time cost ~4 ms a tick at 10,000 CTs."""
        keys: list[str] = []
        start = end = -1
        for column, offset in zip(self._columns, self._offsets, strict=True):
            if column.depends & fields:
                keys.append(column.key)
                if start < 0:
                    start = offset
                end = offset + column.width
        found = (tuple(keys), (start, end) if start >= 0 else None)
        if len(self._affected) < _AFFECTED_MAX:
            self._affected[fields] = found
        return found

    def _changed_regions(self) -> list[Region]:
        """The batch's changed cells as regions: a whole line, or the cells that changed, never the scrollbar's
        column. (Textual 8 writes a partial line from the widget's left edge to the region's end, so what this
        saves is the cells right of the last changed one: 10 rows of CPU % and processes changing every 2 s went
        from 1,009 to 889 B/s on the terminal.)"""
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        regions = []
        for y, span in sorted(self._dirty_lines.items()):
            if span is None:
                regions.append(Region(0, y, width, 1))
                continue
            start, end = max(0, span[0] - scroll_x), min(width, span[1] - scroll_x)
            if start < end:
                regions.append(Region(start, y, end - start, 1))
        return regions

    def _refresh_index(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        size = self.size
        if 1 <= y < size.height:
            self.refresh(Region(0, y, size.width, 1))

    def _cell(self, key: str, column: ColumnSpec) -> Text:
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = {}
        text = cells.get(column.key)
        if text is None:
            text = cells[column.key] = column.render(self._rows[key], self._clock(), self.palette)
        return text

    def _fit(self, text: Text, column: ColumnSpec) -> Text:
        width = column.width
        fitted = text.copy()
        fitted.no_wrap = True
        if fitted.cell_len > width:
            fitted.truncate(width, overflow="ellipsis")
        gap = width - fitted.cell_len
        if gap > 0:
            if column.justify == "right":
                fitted.pad_left(gap)
            else:
                fitted.pad_right(gap)
        return fitted

    def _line(self, key: str) -> Strip:
        strip = self._lines.get(key)
        if strip is not None:
            return strip
        base = self.rich_style
        line = Text(no_wrap=True, end="")
        if key in self.marks:
            line.append(MARK_GLYPH, self.get_component_rich_style("ct-table--marked"))
            line.append(" ")
        else:
            line.append("  ")
        for column in self._columns:
            line.append_text(self._fit(self._cell(key, column), column))
            line.append(" ")
        segments = list(Segment.apply_style(line.render(self.app.console), base))
        strip = Strip(segments, self._line_width)
        if key in self.marks:
            strip = Strip(
                list(Segment.apply_style(strip, post_style=_background(self, "ct-table--marked"))),
                self._line_width,
            )
        if self._stale_nodes and self._rows[key].node in self._stale_nodes:
            strip = Strip(list(Segment.apply_style(strip, post_style=_STALE)), self._line_width)
        self._lines[key] = strip
        return strip

    def set_node_stale(self, node: str, stale: bool) -> None:
        """Rows of a node whose last poll failed are dimmed: their figures are from its last good poll."""
        if stale == (node in self._stale_nodes):
            return
        if stale:
            self._stale_nodes.add(node)
        else:
            self._stale_nodes.discard(node)
        prefix = f"{node}/"
        for key in [key for key in self._lines if key.startswith(prefix)]:
            del self._lines[key]
        self.refresh()

    def _header_strip(self) -> Strip:
        if self._header is not None:
            return self._header
        style = self.get_component_rich_style("ct-table--header")
        sorted_style = self.get_component_rich_style("ct-table--sorted")
        line = Text("  ", no_wrap=True, end="")
        for column in self._columns:
            label = column.label
            if column.key == self.sort_column:
                label = f"{label}{'▼' if self.sort_reverse else '▲'}"
            cell = Text(label, style=sorted_style if column.key == self.sort_column else "")
            cell.justify = "left"
            line.append_text(self._fit(cell, column))
            line.append(" ")
        segments = list(Segment.apply_style(line.render(self.app.console), self.rich_style + style))
        self._header = Strip(segments, self._line_width)
        return self._header

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            strip = self._header_strip()
            header = base + self.get_component_rich_style("ct-table--header")
            return strip.crop_extend(scroll_x, scroll_x + width, header)
        if self._order_stale:  # painted before the scheduled re-sort ran: sort now, settle the view after
            self._full_sort()
        index = scroll_y + y - 1
        if index >= len(self._order):
            return Strip.blank(width, base)
        key = self._key_at(index)
        strip = self._line(key)
        if key == self.cursor_key:
            cursor = _background(self, "ct-table--cursor")
            strip = Strip(list(Segment.apply_style(strip, post_style=cursor)), strip.cell_length)
            return strip.crop_extend(scroll_x, scroll_x + width, base + cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _age_uptimes(self) -> None:
        """Once a minute: uptime cells already rendered that now read differently are dropped (and redrawn)."""
        column = COLUMNS["uptime"]
        if column not in self._columns:
            return
        now = self._clock()
        for key, cells in self._cells.items():
            text = cells.get("uptime")
            row = self._rows.get(key)
            if text is None or row is None:
                continue
            if text.plain != format_uptime(uptime_of(row, now)):
                cells.pop("uptime", None)
                self._lines.pop(key, None)
                self._refresh_key(key)

    # -- summary -----------------------------------------------------------------------------------------------

    @property
    def summary(self) -> str:
        column = COLUMNS[self.sort_column].label
        return f"{len(self._members)}/{len(self._rows)} CTs · sort {column}{'▼' if self.sort_reverse else '▲'}"


def _background(table: CtTable, component: str) -> Style:
    """Only the background (and boldness) of a component style, laid over cells so their colours survive."""
    style = table.get_component_rich_style(component)
    return Style(bgcolor=style.bgcolor, bold=style.bold, reverse=style.reverse)
