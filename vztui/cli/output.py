"""Plain, aligned tables and JSON for scripts; host-provided text is stripped of control characters."""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import Any, TextIO

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """A node's text made safe for a terminal: control characters (escape sequences) become ``?``."""
    return _CONTROL.sub("?", str(text))


def jsonable(value: Any) -> Any:
    """Dataclasses, mappings, enums and tuples as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [jsonable(item) for item in value]
    return value


def print_json(value: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    json.dump(jsonable(value), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    right: Sequence[str] = (),
    out: TextIO | None = None,
) -> None:
    """Columns padded to their widest cell; ``right`` names the numeric columns to right-align."""
    stream = out or sys.stdout
    cells = [[clean("" if cell is None else cell) for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if header in right else value.ljust(width)
            for value, width, header in zip(values, widths, headers, strict=True)
        ]
        return "  ".join(parts).rstrip()

    stream.write(line(headers) + "\n")
    for row in cells:
        stream.write(line(row) + "\n")
