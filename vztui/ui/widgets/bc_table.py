"""A small fixed-column table for the beancounter panel: a Line-API widget whose rows are updated in place.

Why not ``DataTable``: its ``update_cell`` drops the render cache of every row, so one changed figure re-renders
all ~200 cells of the panel. Here a row's cells are rendered once and kept; an update re-renders only the cells
whose text changed and repaints only that row's line. Nothing here ever asks for a layout pass (the table's size
comes from its CSS, never from its content), so a tick that moves one gauge costs one line of the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vztui.ui.keymap import table_bindings


@dataclass(frozen=True, slots=True)
class BcColumn:
    """Key, label and width in cells (cells bring their own justification and spacing)."""

    key: str
    label: str
    width: int


class BeancounterGrid(ScrollView, can_focus=True):
    """Rows keyed by resource name under a fixed header; a row cursor that follows the keys of the main table."""

    BINDINGS: ClassVar[list[BindingType]] = table_bindings()

    COMPONENT_CLASSES: ClassVar[set[str]] = {"bc-table--header", "bc-table--cursor"}

    def __init__(self, columns: Sequence[BcColumn], *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns = tuple(columns)
        self._index = {column.key: index for index, column in enumerate(self._columns)}
        self._width = sum(column.width for column in self._columns)
        self._keys: list[str] = []
        self._positions: dict[str, int] = {}
        self._cells: dict[str, list[Text]] = {}
        self._cell_strips: dict[str, list[Strip | None]] = {}
        self._lines: dict[str, Strip] = {}
        self._header: Strip | None = None
        self.cursor_row = 0

    # -- the model ---------------------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[BcColumn, ...]:
        return self._columns

    @property
    def row_keys(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if self._keys else None

    def get_cell(self, key: str, column: str) -> Text:
        """The Text shown in ``column`` of row ``key`` (KeyError for an unknown row or column)."""
        return self._cells[key][self._index[column]]

    def set_rows(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        """Replace every row (another CT, or resources appeared or vanished); the cursor keeps its position."""
        self._keys = [key for key, _cells in rows]
        self._positions = {key: index for index, key in enumerate(self._keys)}
        self._cells = {key: self._checked(cells) for key, cells in rows}
        self._cell_strips = {key: [None] * len(self._columns) for key in self._keys}
        self._lines.clear()
        self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))
        self.virtual_size = Size(self._width, len(self._keys) + 1)
        self.refresh()

    def clear(self) -> None:
        self.set_rows(())

    def update_row(self, key: str, cells: Sequence[Text]) -> bool:
        """New cells for row ``key``: only those that differ are re-rendered, and only that line is repainted."""
        new = self._checked(cells)
        old = self._cells[key]
        strips = self._cell_strips[key]
        changed = False
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            if before == after and before.style == after.style and before.justify == after.justify:
                continue
            old[index] = after
            strips[index] = None
            changed = True
        if changed:
            self._lines.pop(key, None)
            self._refresh_row(self._positions[key])
        return changed

    def _checked(self, cells: Sequence[Text]) -> list[Text]:
        if len(cells) != len(self._columns):
            raise ValueError(f"{len(cells)} cells for {len(self._columns)} columns")
        return list(cells)

    # -- the cursor ----------------------------------------------------------------------------------------------

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        if not self._keys:
            return
        target = max(0, min(row, len(self._keys) - 1))
        old, self.cursor_row = self.cursor_row, target
        if old != target:
            self._refresh_row(old)
            self._refresh_row(target)
        self._keep_cursor_visible()

    def _keep_cursor_visible(self) -> None:
        rows = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False, immediate=True)

    @property
    def _page(self) -> int:
        return max(1, self.size.height - 2)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def action_scroll_columns_left(self) -> None:
        self.scroll_to(x=max(0, self.scroll_x - 8), animate=False)

    def action_scroll_columns_right(self) -> None:
        self.scroll_to(x=self.scroll_x + 8, animate=False)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self._keys):
            self.move_cursor(row=index)

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)

    # -- rendering ---------------------------------------------------------------------------------------------
    # Cached cells and lines hold only the cells' own styles; the widget's and the cursor's are laid over them in
    # render_line, so a theme or focus change needs no cache invalidation.

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        size = self.size
        if 1 <= y < size.height:
            self.refresh(Region(0, y, size.width, 1))

    def _cell_strip(self, text: Text, width: int) -> Strip:
        """``text`` fitted to ``width`` the way DataTable draws a cell: a right-justified cell's padding carries
        the cell's base style (a coloured figure reads as one block), a left-justified cell's does not."""
        fitted = text.copy()
        fitted.no_wrap = True
        fitted.end = ""
        if fitted.cell_len > width:
            fitted.truncate(width, overflow="ellipsis")
        gap = width - fitted.cell_len
        if gap > 0 and fitted.justify == "right":
            fitted.pad_left(gap)
            gap = 0
        if fitted.style:
            # Text.render ignores the base style of a Text without spans: make it the bottom span.
            fitted.stylize_before(fitted.style, 0, len(fitted))
            fitted.style = ""
        if gap > 0:
            fitted.append(" " * gap)
        return Strip(list(fitted.render(self.app.console)), width)

    def _line(self, key: str) -> Strip:
        """The row's cells side by side, without the widget's base style (the cursor row gets its own base)."""
        line = self._lines.get(key)
        if line is not None:
            return line
        strips = self._cell_strips[key]
        for index, (column, text) in enumerate(zip(self._columns, self._cells[key], strict=True)):
            if strips[index] is None:
                strips[index] = self._cell_strip(text, column.width)
        line = self._lines[key] = Strip.join(strip for strip in strips if strip is not None)
        return line

    def _header_strip(self) -> Strip:
        if self._header is None:
            self._header = Strip.join(self._cell_strip(Text(column.label), column.width) for column in self._columns)
        return self._header

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        index = scroll_y + y - 1
        if y == 0:
            strip, style = self._header_strip(), base + self.get_component_rich_style("bc-table--header")
        elif index < len(self._keys):
            strip, style = self._line(self._keys[index]), base
            if index == self.cursor_row:
                # As in DataTable, the cursor's colours win over the cells' own (the row reads as one bar).
                cursor = self.get_component_rich_style("bc-table--cursor")
                strip = Strip(list(Segment.apply_style(strip, base, cursor)), strip.cell_length)
                return strip.crop_extend(scroll_x, scroll_x + width, base + cursor)
        else:
            return Strip.blank(width, base)
        styled = Strip(list(Segment.apply_style(strip, style)), strip.cell_length)
        return styled.crop_extend(scroll_x, scroll_x + width, style)
