"""Quoting offending input in ParseError messages without pasting a megabyte of it."""

from __future__ import annotations

LIMIT = 80


def excerpt(value: object, limit: int = LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters (an ellipsis marks the cut), for error messages."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"
