"""``?``: every key the dashboard answers to, generated from the registry with the user's keymap applied."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from vztui.ui.keymap import COMMANDS, Group, KeyCommand, display_keys, effective_keys, visible
from vztui.ui.no_links import NoAutoLinks

Available = Callable[[KeyCommand], bool]


def help_table(keymap: Mapping[str, str], *, read_only: bool, available: Available | None = None) -> Table:
    """Every command that can run now, by group; read-only sessions and unrunnable actions leave theirs out."""
    table = Table.grid(padding=(0, 2))
    table.add_column("keys", justify="right", style="bold", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("details", style="dim", overflow="ellipsis", no_wrap=True)
    for group in Group:
        commands = [
            c
            for c in COMMANDS
            if c.group is group and visible(c, read_only=read_only) and (available is None or available(c))
        ]
        if not commands:
            continue
        table.add_row("", "")
        table.add_row("", Text(group.value, style="bold underline"))
        for command in commands:
            keys = display_keys(effective_keys(command, keymap)) or "(palette)"
            table.add_row(keys, command.title, command.description)
    return table


class HelpScreen(NoAutoLinks, ModalScreen[None]):
    """Closed with escape, q or ? again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help_close"),
    ]

    def __init__(self, keymap: Mapping[str, str], *, read_only: bool, available: Available | None = None) -> None:
        super().__init__()
        self._keymap = keymap
        self._read_only = read_only
        self._available = available

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            title = "vztui keys" + ("  (read-only: changing actions are hidden)" if self._read_only else "")
            yield Static(Text(title, style="bold"), id="help-title")
            table = help_table(self._keymap, read_only=self._read_only, available=self._available)
            yield Static(table, id="help-table")
            yield Static(
                Text("ctrl+p opens the command palette: every command above, searchable.", style="dim"),
                id="help-footer",
            )

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
