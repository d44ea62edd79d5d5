"""Line numbers for TOML keys: tomllib reports none, so a light scan of the (already valid) source maps each
table header and key to the line it is written on, for ``config.toml:LINE: message`` errors.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

KeyPath = tuple[str, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ML_DELIMS = ('"""', "'''")


def _read_key(text: str, pos: int) -> tuple[list[str], int]:
    """Parse a (possibly dotted, possibly quoted) key starting at ``pos``; return its parts and the next position."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return parts, pos
        char = text[pos]
        if char == '"':
            end = pos + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            # Reuse tomllib for escape sequences so the scanner agrees with the parser on the key's value.
            parts.append(str(tomllib.loads(f"k = {text[pos : end + 1]}")["k"]))
            pos = end + 1
        elif char == "'":
            end = text.index("'", pos + 1)
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if not match:
                return parts, pos
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


class _ValueScanner:
    """Follows strings and brackets across lines so keys inside multi-line values are not mistaken for keys."""

    def __init__(self) -> None:
        self.open_string: str | None = None
        self.depth = 0

    @property
    def inside(self) -> bool:
        return self.open_string is not None or self.depth > 0

    def feed(self, text: str, pos: int = 0) -> None:
        while pos < len(text):
            if self.open_string is not None:
                end = self._find_close(text, pos, self.open_string)
                if end < 0:
                    return
                pos = end + len(self.open_string)
                self.open_string = None
                continue
            char = text[pos]
            if char == "#":
                return
            if text.startswith(_ML_DELIMS, pos):
                self.open_string = text[pos : pos + 3]
                pos += 3
            elif char in "\"'":
                self.open_string = char
                pos += 1
            else:
                if char in "[{":
                    self.depth += 1
                elif char in "]}":
                    self.depth -= 1
                pos += 1

    @staticmethod
    def _find_close(text: str, pos: int, delim: str) -> int:
        while pos < len(text):
            if delim[0] == '"' and text[pos] == "\\":
                pos += 2
                continue
            if text.startswith(delim, pos):
                return pos
            pos += 1
        return -1


def key_lines(source: str) -> dict[KeyPath, int]:
    """Map every table header and every key assignment to its 1-based line number."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    scanner = _ValueScanner()
    for number, raw in enumerate(source.splitlines(), start=1):
        if scanner.inside:
            scanner.feed(raw)
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            array = stripped.startswith("[[")
            parts, _ = _read_key(stripped, 2 if array else 1)
            table = tuple(parts)
            lines.setdefault(table, number)
            continue
        parts, pos = _read_key(raw, 0)
        if not parts:
            continue
        lines.setdefault((*table, *parts), number)
        equals = raw.find("=", pos)
        if equals >= 0:
            scanner.feed(raw, equals + 1)
    return lines


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, or of its nearest written ancestor (keys inside inline tables, implicit tables)."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    if path:
        # An implicit super-table (``[nodes.hn1]`` without ``[nodes]``): its first written child.
        children = [line for key, line in lines.items() if key[: len(path)] == path]
        if children:
            return min(children)
    return None


def dotted(path: KeyPath) -> str:
    """A key path as TOML spells it: ``nodes."hn2.example".port``."""
    return ".".join(part if _BARE.fullmatch(part) else f'"{part}"' for part in path)
