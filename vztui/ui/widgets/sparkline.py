"""Sparklines as one line of block characters: cheap enough to render inside a table cell on every tick."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline_str(values: Sequence[int | float], width: int, *, min_span: float = 0.0) -> str:
    """The last ``width`` values scaled between their own minimum and maximum (a flat series is a flat line).

    Autoscaling shows the trend, which is what a sparkline is for; the gauge next to it shows the level.
    ``min_span`` keeps noise small: a change smaller than it never fills the whole height.
    """
    if width <= 0 or not values:
        return ""
    window = list(values[-width:])
    low, high = min(window), max(window)
    span = max(high - low, min_span)
    top = len(BLOCKS) - 1
    if span <= 0:
        return BLOCKS[0] * len(window)
    return "".join(BLOCKS[round((value - low) / span * top)] for value in window)


def sparkline(values: Sequence[int | float], width: int, style: str = "", *, min_span: float = 0.0) -> Text:
    """``sparkline_str`` as a Text, padded on the left so the newest value always sits in the last cell."""
    line = sparkline_str(values, width, min_span=min_span)
    return Text(line.rjust(width), style=style, no_wrap=True)
