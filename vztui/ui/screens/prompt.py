"""A small form of a few text fields (snapshot name, mount point …) checked by the caller before it closes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.text import clean


@dataclass(frozen=True, slots=True)
class PromptField:
    id: str
    label: str
    placeholder: str = ""
    value: str = ""


Check = Callable[[Mapping[str, str]], str | None]
"""Returns why the values are refused (shown under the fields), or None to accept them."""


class PromptScreen(NoAutoLinks, ModalScreen[dict[str, str] | None]):
    """Dismisses with the values by field id once ``check`` accepts them, or None on cancel."""

    CSS_PATH = "forms.tcss"
    DEFAULT_CLASSES = "ops-form"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, fields: Sequence[PromptField], check: Check, *, submit: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.fields = tuple(fields)
        self.check = check
        self.submit_label = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(clean(self.title_text)), id="heading")
            with Grid(id="fields"):
                for field in self.fields:
                    yield Label(field.label)
                    yield Input(field.value, placeholder=field.placeholder, id=field.id)
            yield Static("", id="errors")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.submit_label, id="submit", variant="primary")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#{self.fields[0].id}", Input).focus()

    def values(self) -> dict[str, str]:
        return {field.id: self.query_one(f"#{field.id}", Input).value.strip() for field in self.fields}

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit(self) -> None:
        values = self.values()
        problem = self.check(values)
        if problem:
            self.query_one("#errors", Static).update(Text(clean(problem)))
            return
        self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
