"""The bottom line: marks (always visible), rows shown, sort, filter, scope, and the keys that matter most."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from vztui.ui.keymap import KeyCommand, display_keys, effective_keys
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean


@dataclass(frozen=True, slots=True)
class StatusState:
    marked: int = 0
    hidden_marked: int = 0
    summary: str = ""
    filter: str = ""
    scope: str | None = None
    message: str = ""


class StatusBar(Static):
    def __init__(self, hints: Sequence[KeyCommand], keymap: Mapping[str, str], *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._hints = tuple((display_keys(effective_keys(command, keymap)), command.title) for command in hints)
        self._state: StatusState | None = None
        self._palette = Palette()

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        if self._state is not None:
            state, self._state = self._state, None
            self.show_state(state)

    @property
    def state(self) -> StatusState | None:
        return self._state

    def show_state(self, state: StatusState) -> None:
        if state == self._state:
            return
        self._state = state
        # One line high by CSS: a new figure is a repaint of that line, never a layout pass of the screen.
        self.update(self._render_state(state), layout=False)

    def _render_state(self, state: StatusState) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        marked_style = f"bold reverse {self._palette.accent}" if state.marked else self._palette.muted
        text.append(f" {state.marked} marked ", style=marked_style)
        if state.hidden_marked:
            text.append(f" {state.hidden_marked} hidden", style=self._palette.warning)
        text.append(f"  {state.summary}")
        if state.scope:
            text.append("  node ")
            text.append(clean(state.scope), style="bold")
        if state.filter:
            text.append("  /")
            text.append(clean(state.filter), style="bold")
        if state.message:
            text.append("  ")
            text.append(clean(state.message), style=self._palette.error)
        for keys, title in self._hints:
            text.append("  ")
            text.append(keys, style="bold")
            text.append(f" {title}", style=self._palette.muted)
        return text
