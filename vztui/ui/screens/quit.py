"""Asked before quitting while operations are queued or running: quitting stops the engine, which kills them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from vztui.backend.operation import Operation, OpState
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.text import clean

SHOWN = 5
"""Operations listed by name; the rest are counted."""


def pending_text(pending: Sequence[Operation]) -> Text:
    running = sum(1 for op in pending if op.state is OpState.RUNNING)
    queued = len(pending) - running
    text = Text()
    text.append(f"{running} running and {queued} queued operation{'s' if len(pending) != 1 else ''}.\n", style="bold")
    text.append(
        "Quitting kills the running ones (their outcome is checked at the next start) and cancels the rest.\n\n"
    )
    for op in pending[:SHOWN]:
        text.append(f"{op.state.value:8} ", style="bold" if op.state is OpState.RUNNING else "dim")
        text.append(clean(op.node))
        text.append(": ")
        text.append(clean(" ".join(op.request.argv)))
        text.append("\n")
    if len(pending) > SHOWN:
        text.append(f"… and {len(pending) - SHOWN} more\n", style="dim")
    return text


class QuitScreen(NoAutoLinks, ModalScreen[bool]):
    """Dismisses with True only on "Quit anyway"; escape, n and the default button keep vztui running."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "keep", "Keep running", id="quit.keep"),
        Binding("y", "quit_anyway", "Quit anyway", id="quit.confirm"),
    ]
    AUTO_FOCUS = "#keep"

    def __init__(self, pending: Sequence[Operation]) -> None:
        super().__init__()
        self._pending = tuple(pending)

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog"):
            yield Static(pending_text(self._pending), id="quit-text")
            with Horizontal(id="quit-buttons"):
                yield Button("Keep running", id="keep", variant="primary")
                yield Button("Quit anyway (y)", id="quit", variant="error")

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#quit")
    def action_quit_anyway(self) -> None:
        self.dismiss(True)
