"""Host-provided text made safe for the terminal: control characters never reach it, markup is never parsed."""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
REPLACEMENT = "\ufffd"


def clean(value: str | None, *, tab_size: int = 8) -> str:
    """``value`` with tabs expanded and every other control character (ESC, CR, C1, bidi overrides) replaced."""
    if not value:
        return ""
    if "\t" in value:
        value = value.expandtabs(tab_size)
    return _CONTROL.sub(REPLACEMENT, value)


def safe_text(value: str | None, style: str = "") -> Text:
    """A ``Text`` for host text: plain (never markup), cleaned, with ``style``."""
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis")
