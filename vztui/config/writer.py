"""Edits to the user's config.toml that keep every comment and blank line the admin wrote (``vztui nodes add``)."""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

import tomlkit

from vztui.config.errors import ConfigError
from vztui.config.keylines import key_lines
from vztui.config.loader import validate_text

NEW_FILE_HEADER = """\
# vztui configuration (see `vztui --help` and `vztui --show-config`).
# Precedence: command-line flags > VZTUI_* environment > this file > /etc/vztui/config.toml > built-in defaults.
"""


def _insertion_line(source: str) -> int | None:
    """0-based index of the line before which a new ``[nodes.X]`` table goes: after the last node table, ahead of
    the comments that introduce the next table. None means "append at the end".
    """
    lines = source.splitlines()
    found = key_lines(source)
    headers = sorted(line for line in found.values() if _is_header(lines, line))
    node_headers = [line for key, line in found.items() if key[:1] == ("nodes",) and len(key) == 2]
    if not node_headers:
        return None
    following = [line for line in headers if line > max(node_headers)]
    if not following:
        return None
    index = following[0] - 1
    while index > 0 and (not lines[index - 1].strip() or lines[index - 1].lstrip().startswith("#")):
        index -= 1
    return index


def _is_header(lines: list[str], line: int) -> bool:
    return lines[line - 1].lstrip().startswith("[")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o600
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NEW_FILE_HEADER


def add_node(path: Path, name: str, values: Mapping[str, object], *, replace: bool = False) -> str:
    """Add ``[nodes.NAME]`` with ``values`` to the file at ``path`` (created if missing); return the new text.

    The new table is inserted as text after the existing node tables, so nothing else in the file moves. The result
    is validated like any config before it is written; ConfigError leaves the file untouched.
    """
    source = _read(path)
    try:
        existing = tomllib.loads(source).get("nodes", {})
    except tomllib.TOMLDecodeError:
        validate_text(path, source)
        raise
    if name in existing:
        if not replace:
            raise ConfigError([f"{path}: node {name!r} already exists (use --replace to overwrite it)"])
        source = remove_node_text(source, name)
    table = tomlkit.dumps({"nodes": {name: dict(values)}})
    index = _insertion_line(source)
    if index is None:
        base = source.rstrip("\n")
        text = f"{base}\n\n{table}" if base else table
    else:
        lines = source.splitlines(keepends=True)
        before, after = "".join(lines[:index]), "".join(lines[index:])
        gap_before = "\n" if before.strip() and not before.endswith("\n\n") else ""
        gap_after = "\n" if not after.startswith("\n") else ""
        text = before + gap_before + table + gap_after + after
    validate_text(path, text)
    _atomic_write(path, text)
    return text


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def remove_node_text(source: str, name: str) -> str:
    """``source`` without ``[nodes.NAME]``: its header, keys and the comments glued above it go; comments that
    introduce the next table stay. Falls back to tomlkit for nodes written as inline tables or dotted keys.
    """
    if name not in tomllib.loads(source).get("nodes", {}):
        raise KeyError(name)
    lines = source.splitlines(keepends=True)
    found = key_lines(source)
    header = found.get(("nodes", name))
    if header is None or not lines[header - 1].lstrip().startswith("["):
        document = tomlkit.parse(source)
        del document["nodes"][name]
        return tomlkit.dumps(document)
    start = header - 1
    while start > 0 and lines[start - 1].strip().startswith("#"):
        start -= 1
    later = [line - 1 for line in found.values() if line > header and lines[line - 1].lstrip().startswith("[")]
    end = min(later, default=len(lines))
    while end > header and _is_comment_or_blank(lines[end - 1]):
        end -= 1
    if start == 0 or not lines[start - 1].strip():
        while end < len(lines) and not lines[end].strip():
            end += 1
    text = "".join(lines[:start] + lines[end:])
    if name in tomllib.loads(text).get("nodes", {}):
        document = tomlkit.parse(text)
        del document["nodes"][name]
        text = tomlkit.dumps(document)
    return text


def remove_node(path: Path, name: str) -> str:
    """Delete ``[nodes.NAME]`` (and its keys) from the file, keeping everything else; KeyError if absent."""
    text = remove_node_text(path.read_text(encoding="utf-8"), name)
    validate_text(path, text)
    _atomic_write(path, text)
    return text
