"""The ``/`` filter line: incremental (debounced), the same language as ``vztui ls --filter``, errors shown inline."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from vztui.filters import ContainerFilter, FilterError, compile_filter
from vztui.ui.state.text import clean

DEBOUNCE = 0.12
"""Seconds of typing quiet before the table is re-filtered (re-filtering 10k rows per keystroke would lag)."""


class FilterBar(Horizontal):
    """Posts ``Applied`` with a compiled filter (None: show everything) and ``Closed`` when the admin is done."""

    class Applied(Message):
        def __init__(self, expression: str, compiled: ContainerFilter | None) -> None:
            super().__init__()
            self.expression = expression
            self.compiled = compiled

    class Closed(Message):
        """Enter (keep the filter) or escape (clear it): focus goes back to the table."""

        def __init__(self, cleared: bool) -> None:
            super().__init__()
            self.cleared = cleared

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._applied = ""

    def compose(self) -> ComposeResult:
        yield Static("/", id="filter-prompt", markup=False)
        yield Input(placeholder="node:hn2 status:running failcnt>0 web", id="filter-input")
        yield Static("", id="filter-error", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    @property
    def expression(self) -> str:
        return self._applied

    def open(self) -> None:
        self.display = True
        self.input.focus()

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.apply_now)

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_now()
        if not self._applied:
            self.display = False
        self.post_message(self.Closed(cleared=False))

    def apply_now(self) -> None:
        """Compile what is typed; a bad expression keeps the previous filter and says why."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        expression = self.input.value.strip()
        error = self.query_one("#filter-error", Static)
        try:
            compiled = compile_filter(expression) if expression else None
        except FilterError as problem:
            error.update(Text(clean(str(problem)), style="bold"))
            error.add_class("-visible")
            return
        error.update("")
        error.remove_class("-visible")
        if expression == self._applied:
            return
        self._applied = expression
        self.post_message(self.Applied(expression, compiled))

    def clear(self) -> None:
        """Drop the filter and hide the bar."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.input.value = ""
        self.query_one("#filter-error", Static).update("")
        self.display = False
        if self._applied:
            self._applied = ""
            self.post_message(self.Applied("", None))

    def key_escape(self) -> None:
        self.clear()
        self.post_message(self.Closed(cleared=True))
