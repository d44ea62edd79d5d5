"""The one-line header: which cluster, how much of it is up, how much is failing, and whether data is live."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean


@dataclass(frozen=True, slots=True)
class HeaderState:
    cluster_name: str
    nodes_up: int = 0
    nodes_total: int = 0
    running: int = 0
    total: int = 0
    failing: int = 0
    read_only: bool = False
    paused: bool = False
    refreshing: bool = False
    refresh_every: float | None = None


class HeaderBar(Static):
    """Re-rendered only when a figure in it changes, so an idle dashboard writes nothing to the terminal."""

    def __init__(self, state: HeaderState, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._state: HeaderState | None = None
        self._palette = Palette()
        self._pending = state

    def on_mount(self) -> None:
        self.show_state(self._pending)

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        if self._state is not None:
            state, self._state = self._state, None
            self.show_state(state)

    @property
    def state(self) -> HeaderState | None:
        return self._state

    def show_state(self, state: HeaderState) -> None:
        if state == self._state:
            return
        self._state = state
        # One line high by CSS: a new figure is a repaint of that line, never a layout pass of the screen.
        self.update(render_header(state, self._palette), layout=False)


def render_header(state: HeaderState, palette: Palette) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" vztui ", style="bold reverse")
    text.append(" ")
    text.append(clean(state.cluster_name), style="bold")
    text.append("  nodes ")
    down = state.nodes_total - state.nodes_up
    text.append(f"{state.nodes_up}/{state.nodes_total}", style=f"bold {palette.error}" if down else "bold")
    text.append("  CTs ")
    text.append(f"{state.running}/{state.total}", style="bold")
    text.append(" running  ")
    if state.failing:
        text.append(f" {state.failing} failing now ", style=f"bold reverse {palette.error}")
    else:
        text.append("0 failing", style=palette.success)
    if state.read_only:
        text.append("  ")
        text.append(" READ-ONLY ", style=f"bold reverse {palette.warning}")
    text.append("  ")
    if state.paused:
        text.append(" PAUSED ", style=f"bold reverse {palette.warning}")
    elif state.refreshing:
        text.append("refreshing…", style=palette.accent)
    else:
        every = f" every {state.refresh_every:g}s" if state.refresh_every else ""
        text.append(f"live{every}", style=palette.success)
    return text
