"""The command palette: the registry's commands (with their keys) plus "Sort by <column>", filtered for read-only."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from vztui.ui.keymap import COMMANDS, display_keys, effective_keys, visible
from vztui.ui.state.columns import COLUMNS


class VztuiCommands(Provider):
    """Runs each command as the main screen's action, so a palette entry does exactly what its key does."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        from vztui.ui.app import VztuiApp

        app = self.app
        if not isinstance(app, VztuiApp):
            return []
        main = app.main_screen
        if main is None:
            return []
        entries: list[tuple[str, str, Callable[[], object]]] = []
        for command in COMMANDS:
            if command.scope.value != "screen" or not visible(command, read_only=app.read_only):
                continue
            if command.id in ("help", "quit", "filter", "clear_filter"):
                continue
            if not main.command_available(command):
                continue
            keys = display_keys(effective_keys(command, app.keymap))
            title = f"{command.title}  ({keys})" if keys else command.title
            entries.append((title, command.description, partial(main.run_action, command.action)))
        for column in COLUMNS.values():
            entries.append(
                (f"Sort by {column.label}", column.description or column.key, partial(main.sort_by_column, column.key))
            )
        return entries

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(Text(title), callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
