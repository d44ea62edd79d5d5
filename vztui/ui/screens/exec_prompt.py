"""Asks for the one-shot command ``vzctl exec`` runs in the chosen containers (its output goes to the log pane)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from vztui.openvz.commands import vzctl_exec
from vztui.openvz.errors import ValidationError
from vztui.ui.state.text import clean


class ExecPromptScreen(ModalScreen[str | None]):
    """Dismisses with the command text once the domain builder accepts it, or None on cancel."""

    CSS_PATH = "forms.tcss"
    DEFAULT_CLASSES = "ops-form"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="exec.cancel")]
    AUTO_FOCUS = "#command"

    def __init__(self, targets: Sequence[tuple[str, int]]) -> None:
        super().__init__()
        self.targets = tuple(targets)

    def compose(self) -> ComposeResult:
        ctids = " ".join(str(ctid) for _, ctid in self.targets)
        with Vertical(id="dialog"):
            yield Label(Text(f"Run a command in {clean(ctids)}"), id="heading")
            yield Input(placeholder="e.g. df -h /", id="command")
            yield Static("", id="errors")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Run…", id="submit", variant="primary")

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted, "#command")
    def _submit(self) -> None:
        text = self.query_one("#command", Input).value
        try:
            vzctl_exec(self.targets[0][1] if self.targets else 101, text)
        except ValidationError as error:
            self.query_one("#errors", Static).update(Text(clean(str(error))))
            return
        self.dismiss(text.strip())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
