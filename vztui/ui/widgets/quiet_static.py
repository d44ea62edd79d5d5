"""A Static that ignores updates with the content it already shows, so periodic re-renders of unchanged text cost
no repaint and send nothing to the terminal (an idle dashboard stays silent over SSH)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class QuietStatic(Static):
    """``show(text)`` repaints only when the plain text, spans or base style differ from what is shown.

    A change asks for a layout pass only when the widget's size follows its content (``auto`` width or height):
    a line whose size CSS fixes is repainted in place, without re-arranging (and repainting) the whole screen.
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._signature: tuple[str, str, str] | None = None

    def show(self, text: Text) -> bool:
        """Show ``text``; return whether anything changed."""
        signature = (text.plain, repr(text.spans), str(text.style))
        if signature == self._signature:
            return False
        self._signature = signature
        self.update(text, layout=self.sized_by_content)
        return True

    @property
    def sized_by_content(self) -> bool:
        """Whether new content can change this widget's size (then a change needs a layout pass)."""
        height, width = self.styles.height, self.styles.width
        return height is None or height.is_auto or (width is not None and width.is_auto)
