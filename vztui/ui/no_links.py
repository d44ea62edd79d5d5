"""Host text never becomes a link: every screen of the app turns Textual's ``auto_links`` off for all its widgets.

Textual styles and makes clickable any span carrying a link (``[link=…]`` markup, OSC 8 sequences, ``@click``
actions). Host text is already rendered as plain ``Text`` (never markup) and cleaned of escapes; this is the second
wall, so a hostname or a line of command output can never turn into something to click.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget


def disable_auto_links(root: Widget) -> None:
    """``auto_links = False`` on ``root`` and on every widget below it."""
    for widget in root.walk_children(Widget, with_self=True):
        if widget.auto_links:
            widget.auto_links = False


class NoAutoLinks:
    """Mixin for screens (listed before ``Screen``): on mount, and after every layout pass of the screen (which
    follows any later mount: footer keys, toasts, rows of widgets), every widget on it gets ``auto_links = False``.
    """

    def on_mount(self) -> None:
        if isinstance(self, Screen):
            disable_auto_links(self)
            self.screen_layout_refresh_signal.subscribe(self, disable_auto_links)
