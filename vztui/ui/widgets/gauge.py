"""Horizontal gauges drawn with block characters, coloured at the palette's 70 %/90 % thresholds."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError

from vztui.ui.state.palette import Palette

_EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
TRACK = "·"


def bar_str(ratio: float, width: int) -> str:
    """A bar ``width`` cells wide filled to ``ratio`` (clamped to 0…1) with eighth-cell resolution."""
    if width <= 0:
        return ""
    clamped = min(max(ratio, 0.0), 1.0)
    eighths = round(clamped * width * 8)
    full, rest = divmod(eighths, 8)
    bar = FULL * full + (_EIGHTHS[rest] if rest else "")
    return bar + TRACK * (width - len(bar))


def gauge(ratio: float | None, width: int, palette: Palette, *, percent: bool = True) -> Text:
    """Bar plus percentage (``█████····  52%``); an unlimited resource shows an empty track and ``∞``.

    The percentage is the held/barrier ratio uncapped, so 130 % of a barrier (possible up to the limit) is visible.
    """
    if ratio is None:
        text = Text(TRACK * width, style=palette.muted, no_wrap=True)
        if percent:
            text.append("    ∞", style=palette.muted)
        return text
    style = palette.ratio_style(ratio)
    text = Text(bar_str(ratio, width), style=style or palette.success, no_wrap=True)
    if percent:
        text.append(f"{ratio * 100:4.0f}%"[-5:].rjust(5), style=style)
    return text


def palette_of(app: App[object]) -> Palette:
    """The active theme's $error/$warning/$success/$accent as Rich colours (ANSI names on the 16-colour theme)."""
    theme = app.current_theme
    base = Palette()

    def rich(value: str | None, fallback: str) -> str:
        if not value:
            return fallback
        try:
            return Color.parse(value).rich_color.name
        except ColorParseError:
            return fallback

    return Palette(
        error=rich(theme.error, base.error),
        warning=rich(theme.warning, base.warning),
        success=rich(theme.success, base.success),
        muted="dim",
        accent=rich(theme.accent, base.accent),
    )
