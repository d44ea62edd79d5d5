"""Read vzctl's shell-style ``KEY="value"`` files (vz.conf, CTID.conf, samples) the way vzctl 4.x does, quickly.

The simulator parses configs on every tool call, so this stays a small, import-light reader rather than the
domain parser. It follows vzctl's ``parse_line()`` (src/lib/util.c) and ``vps_parse_config()`` (src/lib/config.c):
backslashes escape the next character on every line; a line whose first non-blank is ``#`` is a comment; an
unquoted value is the whole rest of the line less trailing blanks (vzctl strips no ``# comment`` and treats no
``'`` as a quote); a ``"``-quoted value runs to the *last* ``"`` on the line; a quote without its partner skips the
line; the first occurrence of a key wins (vzctl's ``ERR_DUP``: "duplicate ..., ignored").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line vzctl refuses with "Warning: can't parse <file>:<line> (<reason>), skipping"."""

    line: int
    reason: str


def parse_shell_conf(text: str, skipped: list[SkippedLine] | None = None) -> dict[str, str]:
    """Map each ``KEY`` to its value as vzctl reads it; lines vzctl skips are appended to ``skipped`` if given."""
    values: dict[str, str] = {}
    # fgets(): only "\n" ends a line ("\r" is a trailing blank, removed below like vzctl's isspace() trim).
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _unescape(raw).strip(" \t\r\v\f")
        if not line or line[0] == "#":
            continue
        key, sep, rest = line.partition("=")
        if not sep:
            if skipped is not None:
                skipped.append(SkippedLine(number, "'=' not found"))
            continue
        value = _value(rest)
        if value is None:
            if skipped is not None:
                skipped.append(SkippedLine(number, "unmatched quotes"))
            continue
        if _is_key(key) and key not in values:
            values[key] = value
    return values


def _unescape(line: str) -> str:
    """vzctl's unescapestr(): drop each unescaped backslash and keep the character after it."""
    if "\\" not in line:
        return line
    out: list[str] = []
    escaped = False
    for char in line:
        if char == "\\" and not escaped:
            escaped = True
            continue
        out.append(char)
        escaped = False
    return "".join(out)


def _is_key(key: str) -> bool:
    """Only names like vzctl's parameters can match one (``KEY =x`` is an unknown parameter ``"KEY "``)."""
    return key.replace("_", "A").isalnum() and not key[0].isdigit()


def _value(rest: str) -> str | None:
    if rest[:1] != '"':
        return rest
    # Everything up to the *last* quote: DESCRIPTION="say "hi"" reads as: say "hi"
    end = rest.rfind('"')
    return None if end <= 0 else rest[1:end]


def expand_veid(value: str, ctid: int) -> str:
    """Substitute ``$VEID`` / ``${VEID}`` (and vzctl 4's ``$CTID``) in a path value."""
    text = str(ctid)
    return value.replace("${VEID}", text).replace("$VEID", text).replace("${CTID}", text).replace("$CTID", text)
