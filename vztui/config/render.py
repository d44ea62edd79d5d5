"""``vztui --show-config``: the effective configuration as TOML, each value annotated with where it came from."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from vztui.config.model import Config, NodeConfig, Origin
from vztui.config.schema import NODE_NAME


def toml_value(value: object) -> str:
    """A Python value as a TOML literal (enough for configuration values: scalars and string arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return toml_value(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes for everything json.dumps emits.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _key(name: str) -> str:
    return name if NODE_NAME.fullmatch(name) and "." not in name else json.dumps(name)


def _rows(pairs: Iterable[tuple[str, Any, Origin]]) -> list[tuple[str, str]]:
    rows = []
    for key, value, origin in pairs:
        if value is None:
            rows.append((f"# {key} (unset)", str(origin)))
        else:
            rows.append((f"{_key(key)} = {toml_value(value)}", str(origin)))
    return rows


def _section(title: str, rows: list[tuple[str, str]]) -> list[str]:
    width = max((len(text) for text, _ in rows), default=0)
    return [f"[{title}]", *(f"{text.ljust(width)}  # {origin}" for text, origin in rows), ""]


def render_config(config: Config) -> str:
    """TOML that would reproduce the effective configuration; comments say which layer set each value."""
    out = ["# vztui effective configuration", "# precedence: flag > env > user file > system file > built-in"]
    files = ", ".join(str(path) for path in config.loaded_files) or "none"
    out += [f"# files read: {files}", f"# user file: {config.user_path}", ""]

    def pairs(prefix: str, obj: object, skip: Iterable[str] = ()) -> list[tuple[str, Any, Origin]]:
        return [
            (f.name, getattr(obj, f.name), config.origin(f"{prefix}.{f.name}"))
            for f in fields(obj)  # type: ignore[arg-type]
            if f.name not in skip
        ]

    out += _section("defaults", _rows(pairs("defaults", config.defaults)))
    out += _section("ui", _rows(pairs("ui", config.ui)))
    for name, node in config.nodes.items():
        out += _section(f"nodes.{_key(name)}", _rows(pairs(f"nodes.{name}", node, skip=("name",))))
    if not config.nodes:
        out += ["# no [nodes.NAME] tables: add one with `vztui nodes add NAME HOST`", ""]
    for name, preset in config.presets.items():
        origin = config.origin(f"presets.{name}")
        rows = [(f"{_key(option)} = {toml_value(value)}", str(origin)) for option, value in preset.params]
        if preset.description:
            rows.insert(0, (f"description = {toml_value(preset.description)}", str(origin)))
        out += _section(f"presets.{_key(name)}", rows)
    if config.keymap:
        out += _section("keymap", _rows((b, k, config.origin(f"keymap.{b}")) for b, k in config.keymap.items()))
    return "\n".join(out).rstrip() + "\n"


def config_as_json(config: Config) -> dict[str, Any]:
    """The effective configuration with origins, for ``--show-config --json``."""

    def entry(value: object, origin: Origin) -> dict[str, Any]:
        plain = value.value if isinstance(value, enum.Enum) else list(value) if isinstance(value, tuple) else value
        return {"value": plain, "origin": str(origin)}

    def section(prefix: str, obj: object, skip: Iterable[str] = ()) -> dict[str, Any]:
        return {
            f.name: entry(getattr(obj, f.name), config.origin(f"{prefix}.{f.name}"))
            for f in fields(obj)  # type: ignore[arg-type]
            if f.name not in skip
        }

    nodes: Mapping[str, NodeConfig] = config.nodes
    return {
        "files": [str(path) for path in config.loaded_files],
        "user_file": str(config.user_path) if config.user_path else None,
        "defaults": section("defaults", config.defaults),
        "ui": section("ui", config.ui),
        "nodes": {name: section(f"nodes.{name}", node, skip=("name",)) for name, node in nodes.items()},
        "presets": {
            name: {"params": dict(preset.params), "origin": str(config.origin(f"presets.{name}"))}
            for name, preset in config.presets.items()
        },
        "keymap": {b: entry(k, config.origin(f"keymap.{b}")) for b, k in config.keymap.items()},
    }
