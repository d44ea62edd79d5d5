"""The few colours cell renderers need, taken from the active Textual theme so every theme (and 16 colours) works."""

from __future__ import annotations

from dataclasses import dataclass

WARN_RATIO = 0.7
CRIT_RATIO = 0.9


@dataclass(frozen=True, slots=True)
class Palette:
    """Rich style strings derived from theme variables ($error, $warning, $success, $text-muted, $accent)."""

    error: str = "red"
    warning: str = "yellow"
    success: str = "green"
    muted: str = "bright_black"
    accent: str = "cyan"

    def ratio_style(self, ratio: float | None) -> str:
        """Gauge and cell colour at the 70 % / 90 % thresholds."""
        if ratio is None:
            return ""
        if ratio >= CRIT_RATIO:
            return f"bold {self.error}"
        if ratio >= WARN_RATIO:
            return self.warning
        return ""

    @property
    def flash(self) -> str:
        """A failcnt that just rose: impossible to miss, readable on 16 colours."""
        return f"bold reverse {self.error}"
